//! What the CLI prints, independent of any store: 1.43's JSON shapes of
//! layers, images and containers (through the store component's own record
//! types and Go-compatible encoder), the `layers --tree` rendering, and Go's
//! wording of file errors and quoted strings.

use graphstore_guest::format::go_json;
use graphstore_guest::format::timestamp::Timestamp as RecordTimestamp;
use graphstore_guest::records;
use serde::Serialize;
use std::fmt::Write as _;

/// Encodes `value` as Go's `json.Encoder` does: compact, HTML-escaped, one line.
pub fn json_line<T: Serialize + ?Sized>(value: &T) -> String {
    let mut line = go_json::to_string(value);
    line.push('\n');
    line
}

/// A layer as 1.43 encodes it (the `layers.json` record).
pub fn layer_record(layer: &crate::Layer) -> records::Layer {
    records::Layer {
        id: layer.id.clone(),
        names: layer.names.clone(),
        parent: layer.parent.clone().unwrap_or_default(),
        metadata: layer.metadata.clone(),
        mount_label: layer.mount_label.clone(),
        created: timestamp(&layer.created),
        compressed_digest: layer.compressed_digest.clone().unwrap_or_default(),
        compressed_size: layer.compressed_size,
        uncompressed_digest: layer.uncompressed_digest.clone().unwrap_or_default(),
        uncompressed_size: layer.uncompressed_size,
        compression: compression(layer.compression),
        uid_set: layer.uid_set.clone(),
        gid_set: layer.gid_set.clone(),
        flags: flags(&layer.flags),
        uid_map: id_maps(&layer.uid_map),
        gid_map: id_maps(&layer.gid_map),
        big_data_names: layer.big_data_names.clone(),
    }
}

/// An image as 1.43 encodes it (the `images.json` record).
pub fn image_record(image: &crate::Image) -> records::Image {
    records::Image {
        id: image.id.clone(),
        digest: image.digest.clone().unwrap_or_default(),
        names: image.names.clone(),
        names_history: image.names_history.clone(),
        top_layer: image.top_layer.clone().unwrap_or_default(),
        mapped_top_layers: image.mapped_top_layers.clone(),
        metadata: image.metadata.clone(),
        big_data_names: image.big_data_names.clone(),
        big_data_sizes: image.big_data_sizes.iter().cloned().collect(),
        big_data_digests: image.big_data_digests.iter().cloned().collect(),
        created: timestamp(&image.created),
        flags: flags(&image.flags),
    }
}

/// A container as 1.43 encodes it (the `containers.json` record).
pub fn container_record(container: &crate::Container) -> records::Container {
    records::Container {
        id: container.id.clone(),
        names: container.names.clone(),
        image_id: container.image_id.clone(),
        layer_id: container.layer_id.clone(),
        metadata: container.metadata.clone(),
        big_data_names: container.big_data_names.clone(),
        big_data_sizes: container.big_data_sizes.iter().cloned().collect(),
        big_data_digests: container.big_data_digests.iter().cloned().collect(),
        created: timestamp(&container.created),
        uid_map: id_maps(&container.uid_map),
        gid_map: id_maps(&container.gid_map),
        flags: flags(&container.flags),
    }
}

fn timestamp(time: &crate::Timestamp) -> RecordTimestamp {
    RecordTimestamp {
        seconds: time.seconds,
        nanoseconds: time.nanoseconds,
        utc_offset: time.utc_offset,
    }
}

fn compression(compression: crate::Compression) -> records::Compression {
    match compression {
        crate::Compression::None => records::Compression::None,
        crate::Compression::Bzip2 => records::Compression::Bzip2,
        crate::Compression::Gzip => records::Compression::Gzip,
        crate::Compression::Xz => records::Compression::Xz,
        crate::Compression::Zstd => records::Compression::Zstd,
    }
}

fn id_maps(maps: &[crate::IdMap]) -> Vec<records::IdMap> {
    maps.iter()
        .map(|map| records::IdMap {
            container_id: map.container_id,
            host_id: map.host_id,
            size: map.size,
        })
        .collect()
}

/// Flags carry JSON text; Go holds them as decoded values, numbers as float64.
fn flags(flags: &[crate::Flag]) -> records::Flags {
    flags
        .iter()
        .map(|flag| {
            let mut value = serde_json::from_str(&flag.value)
                .unwrap_or_else(|_| serde_json::Value::String(flag.value.clone()));
            go_json::numbers_as_go_floats(&mut value);
            (flag.key.clone(), value)
        })
        .collect()
}

/// One line of `layers --tree` input: an edge from `parent` to `child` and
/// the notes printed under the child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeNode {
    /// The parent's ID, or `(base)`.
    pub parent: String,
    /// The layer's ID.
    pub child: String,
    /// Lines printed below the child (`name: …`, `image: …`).
    pub notes: Vec<String>,
}

/// Columns each tree level is indented by.
const TREE_INDENT_STEP: usize = 2;
const TREE_VERTICAL: char = '\u{2502}';
const TREE_THIS_AND_MORE: char = '\u{251c}';
const TREE_JUST_THIS: char = '\u{2514}';
const TREE_STEM: char = '\u{2500}';

/// Renders nodes as 1.43's `layers --tree` does. Where 1.43 picks among
/// equally good roots in Go's random map order, the root seen first wins.
pub fn render_tree(nodes: &[TreeNode]) -> String {
    let mut out = String::new();
    let mut remaining: Vec<&TreeNode> = nodes.iter().collect();
    while !remaining.is_empty() {
        let root = select_root(&remaining);
        out.push_str(&root);
        out.push('\n');
        let before = remaining.len();
        remaining = render_subtree(&root, remaining, 0, &[], &mut out);
        if remaining.len() == before {
            break;
        }
    }
    out
}

/// The parent that is no node's child and has the fewest children.
fn select_root(nodes: &[&TreeNode]) -> String {
    let mut parents: Vec<(&str, usize)> = Vec::new();
    for node in nodes {
        match parents
            .iter_mut()
            .find(|(parent, _)| *parent == node.parent)
        {
            Some((_, count)) => *count += 1,
            None => parents.push((&node.parent, 1)),
        }
    }
    parents
        .iter()
        .filter(|(parent, _)| !nodes.iter().any(|node| node.child == *parent))
        .min_by_key(|(_, count)| *count)
        .map(|(parent, _)| parent.to_string())
        .unwrap_or_default()
}

/// Prints the children of `root` (recursively); returns the nodes not printed.
fn render_subtree<'a>(
    root: &str,
    nodes: Vec<&'a TreeNode>,
    indent: usize,
    continued: &[usize],
    out: &mut String,
) -> Vec<&'a TreeNode> {
    let (children, mut leftovers): (Vec<&TreeNode>, Vec<&TreeNode>) =
        nodes.into_iter().partition(|node| node.parent == root);
    for (index, child) in children.iter().enumerate() {
        let mut prefix: Vec<char> = vec![' '; indent];
        for &column in continued {
            prefix[column] = TREE_VERTICAL;
        }
        let prefix: String = prefix.into_iter().collect();
        let more = index + 1 < children.len();
        let mut sub_continued = continued.to_vec();
        let (header, note_header) = if more {
            sub_continued.push(indent);
            (TREE_THIS_AND_MORE, TREE_VERTICAL)
        } else {
            (TREE_JUST_THIS, ' ')
        };
        let _ = writeln!(out, "{prefix}{header}{TREE_STEM}{}", child.child);
        for note in &child.notes {
            let _ = writeln!(out, "{prefix}{note_header} {note}");
        }
        leftovers = render_subtree(
            &child.child,
            leftovers,
            indent + TREE_INDENT_STEP,
            &sub_continued,
            out,
        );
    }
    leftovers
}

/// Go's text for a failed file operation (`*os.PathError`), e.g.
/// `open /x: no such file or directory`.
pub fn path_error(operation: &str, path: &str, error: &std::io::Error) -> String {
    format!("{operation} {path}: {}", errno_text(error))
}

/// The C library's description of an I/O error, lower-cased as Go's table
/// words it (`no such file or directory`).
pub fn errno_text(error: &std::io::Error) -> String {
    let Some(code) = error.raw_os_error() else {
        return error.to_string();
    };
    let text = std::io::Error::from_raw_os_error(code).to_string();
    let text = text
        .strip_suffix(&format!(" (os error {code})"))
        .unwrap_or(&text);
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Compression, Container, Flag, IdMap, Image, Layer, Timestamp};

    /// 2026-11-22T11:36:13.064828599Z
    fn created() -> Timestamp {
        Timestamp {
            seconds: 1_795_347_373,
            nanoseconds: 64_828_599,
            utc_offset: 0,
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn flag(key: &str, value: &str) -> Flag {
        Flag {
            key: key.into(),
            value: value.into(),
        }
    }

    fn layer(id: &str) -> Layer {
        Layer {
            id: id.into(),
            names: vec![],
            parent: None,
            metadata: String::new(),
            mount_label: String::new(),
            mount_point: String::new(),
            mount_count: 0,
            created: created(),
            compressed_digest: None,
            compressed_size: 0,
            uncompressed_digest: None,
            uncompressed_size: 0,
            compression: Compression::None,
            uid_set: vec![],
            gid_set: vec![],
            flags: vec![],
            uid_map: vec![],
            gid_map: vec![],
            read_only: false,
            big_data_names: vec![],
        }
    }

    #[test]
    fn layers_encode_as_1_43_prints_them() {
        let minimal = layer("b052");
        let full = Layer {
            names: strings(&["foo", "b<a>r"]),
            parent: Some("base".into()),
            metadata: "m&m".into(),
            mount_label: "label".into(),
            mount_point: "/not/encoded".into(),
            mount_count: 2,
            compressed_digest: Some("sha256:c".into()),
            compressed_size: 323,
            uncompressed_digest: Some("sha256:u".into()),
            uncompressed_size: 10240,
            compression: Compression::Gzip,
            uid_set: vec![0, 1000],
            gid_set: vec![0, 100],
            flags: vec![flag("incomplete", "true"), flag("a", "1.0")],
            uid_map: vec![IdMap {
                container_id: 0,
                host_id: 100000,
                size: 65536,
            }],
            read_only: true,
            big_data_names: strings(&["k"]),
            ..layer("full")
        };
        let cases = [
            (
                minimal,
                r#"{"id":"b052","created":"2026-11-22T11:36:13.064828599Z"}"#,
            ),
            (
                full,
                concat!(
                    r#"{"id":"full","names":["foo","b\u003ca\u003er"],"parent":"base","metadata":"m\u0026m","#,
                    r#""mountlabel":"label","created":"2026-11-22T11:36:13.064828599Z","#,
                    r#""compressed-diff-digest":"sha256:c","compressed-size":323,"#,
                    r#""diff-digest":"sha256:u","diff-size":10240,"compression":2,"#,
                    r#""uidset":[0,1000],"gidset":[0,100],"flags":{"a":1,"incomplete":true},"#,
                    r#""uidmap":[{"container_id":0,"host_id":100000,"size":65536}],"big-data-names":["k"]}"#
                ),
            ),
        ];
        for (layer, expected) in cases {
            assert_eq!(json_line(&layer_record(&layer)), format!("{expected}\n"));
        }
        let records = vec![layer_record(&layer("a")), layer_record(&layer("b"))];
        assert_eq!(
            json_line(&records),
            "[{\"id\":\"a\",\"created\":\"2026-11-22T11:36:13.064828599Z\"},{\"id\":\"b\",\"created\":\"2026-11-22T11:36:13.064828599Z\"}]\n"
        );
    }

    #[test]
    fn images_encode_as_1_43_prints_them() {
        let image = Image {
            id: "2e2e".into(),
            digest: Some("sha256:d".into()),
            digests: strings(&["sha256:d", "sha256:e"]),
            names: strings(&["example.com/app:v1"]),
            names_history: strings(&["example.com/app:v1", "old"]),
            top_layer: Some("96ca".into()),
            mapped_top_layers: strings(&["2718"]),
            metadata: "image-metadata".into(),
            big_data_names: strings(&["manifest", "config"]),
            big_data_sizes: vec![("manifest".into(), 19), ("config".into(), 15)],
            big_data_digests: vec![
                ("manifest".into(), "sha256:m".into()),
                ("config".into(), "sha256:c".into()),
            ],
            created: Timestamp {
                nanoseconds: 0,
                ..created()
            },
            read_only: true,
            flags: vec![],
        };
        assert_eq!(
            json_line(&image_record(&image)),
            concat!(
                r#"{"id":"2e2e","digest":"sha256:d","names":["example.com/app:v1"],"#,
                r#""names-history":["example.com/app:v1","old"],"layer":"96ca","mapped-layers":["2718"],"#,
                r#""metadata":"image-metadata","big-data-names":["manifest","config"],"#,
                r#""big-data-sizes":{"config":15,"manifest":19},"#,
                r#""big-data-digests":{"config":"sha256:c","manifest":"sha256:m"},"#,
                r#""created":"2026-11-22T11:36:13Z"}"#,
                "\n"
            )
        );
    }

    #[test]
    fn containers_encode_as_1_43_prints_them() {
        let container = Container {
            id: "3d3d".into(),
            names: strings(&["web"]),
            image_id: String::new(),
            layer_id: "0fe2".into(),
            metadata: String::new(),
            big_data_names: vec![],
            big_data_sizes: vec![],
            big_data_digests: vec![],
            created: created(),
            uid_map: vec![],
            gid_map: vec![IdMap {
                container_id: 1,
                host_id: 2,
                size: 3,
            }],
            flags: vec![
                flag("Volatile", "true"),
                flag("ProcessLabel", "\"\""),
                flag("MountLabel", "\"\""),
                flag("Big", "100000000000000000000000"),
                flag("Nested", r#"{"z":[1,2.50],"a":"<"}"#),
            ],
        };
        assert_eq!(
            json_line(&container_record(&container)),
            concat!(
                r#"{"id":"3d3d","names":["web"],"image":"","layer":"0fe2","#,
                r#""created":"2026-11-22T11:36:13.064828599Z","#,
                r#""gidmap":[{"container_id":1,"host_id":2,"size":3}],"#,
                r#""flags":{"Big":1e+23,"MountLabel":"","Nested":{"a":"\u003c","z":[1,2.5]},"ProcessLabel":"","Volatile":true}}"#,
                "\n"
            )
        );
    }

    fn node(parent: &str, child: &str, notes: &[&str]) -> TreeNode {
        TreeNode {
            parent: parent.into(),
            child: child.into(),
            notes: strings(notes),
        }
    }

    /// Captured from `containers-storage layers -t` (1.43) on a store whose
    /// layers were created in this order; `W` and `Q` were then deleted
    /// with `delete`, leaving their children with dangling parents.
    #[test]
    fn tree_renders_like_1_43() {
        let container_layer = "bbfedcbaaa702696b3c52a4616a6495883571c901408d7093487451481cd7f61";
        let nodes = vec![
            node("(base)", "A", &[]),
            node("A", "B", &[]),
            node("A", "C", &[]),
            node("A", "K", &[]),
            node("C", "F", &[]),
            node(
                "C",
                "G",
                &[
                    "name: gname",
                    "name: g<2>",
                    "image: imgG",
                    "image name: imgname",
                    "image: imgG2",
                ],
            ),
            node("C", "L", &[]),
            node("B", "D", &[]),
            node("B", "E", &[]),
            node("B", "M", &["mount: /tmp/tree/g/vfs/dir/M"]),
            node("K", "N", &[]),
            node("F", "H", &[]),
            node("F", "I", &[]),
            node("F", "J", &[]),
            node("(base)", "P", &[]),
            node("W", "X", &[]),
            node("X", "Y", &[]),
            node("Y", "Z", &[]),
            node("Q", "Q1", &[]),
            node("Q", "Q2", &[]),
            node("Q", "Q3", &[]),
            node("Q2", "Q21", &[]),
            node(
                "G",
                container_layer,
                &[
                    "container: ctrL",
                    "container name: c1",
                    "container name: c2",
                ],
            ),
        ];
        let expected = format!(
            "W\n└─X\n  └─Y\n    └─Z\n(base)\n├─A\n│ ├─B\n│ │ ├─D\n│ │ ├─E\n│ │ └─M\n│ │   mount: /tmp/tree/g/vfs/dir/M\n\
             │ ├─C\n│ │ ├─F\n│ │ │ ├─H\n│ │ │ ├─I\n│ │ │ └─J\n│ │ ├─G\n│ │ │ name: gname\n│ │ │ name: g<2>\n\
             │ │ │ image: imgG\n│ │ │ image name: imgname\n│ │ │ image: imgG2\n│ │ │ └─{container_layer}\n\
             │ │ │   container: ctrL\n│ │ │   container name: c1\n│ │ │   container name: c2\n│ │ └─L\n\
             │ └─K\n│   └─N\n└─P\nQ\n├─Q1\n├─Q2\n│ └─Q21\n└─Q3\n"
        );
        assert_eq!(render_tree(&nodes), expected);
    }

    #[test]
    fn small_trees_render_like_1_43() {
        let cases: Vec<(Vec<TreeNode>, &str)> = vec![
            (vec![], ""),
            (
                vec![node("(base)", "a", &["name: x"])],
                "(base)\n└─a\n  name: x\n",
            ),
            (
                vec![node("(base)", "a", &[]), node("(base)", "b", &["n"])],
                "(base)\n├─a\n└─b\n  n\n",
            ),
            (
                vec![
                    node("(base)", "a", &[]),
                    node("a", "b", &[]),
                    node("(base)", "c", &[]),
                ],
                "(base)\n├─a\n│ └─b\n└─c\n",
            ),
        ];
        for (nodes, expected) in cases {
            assert_eq!(render_tree(&nodes), expected, "{nodes:?}");
        }
    }

    #[test]
    fn go_texts() {
        let missing = std::io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(
            path_error("open", "/x", &missing),
            "open /x: no such file or directory"
        );
        let is_dir = std::io::Error::from_raw_os_error(libc::EISDIR);
        assert_eq!(path_error("read", "/d", &is_dir), "read /d: is a directory");
    }
}
