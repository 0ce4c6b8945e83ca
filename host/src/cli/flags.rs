//! A command's flags as typed values (ripgrep's `LowArgs` idea): the
//! parser keeps 1.43's generic flag set for usage output, then fills this
//! struct once; commands read fields, never look a flag up by name.

use super::spec::flag_names as n;

/// What the command line gave the command's own flags. A field of a flag
/// the command does not declare keeps its zero value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandFlags {
    /// `--json`: print JSON.
    pub json: bool,
    /// `--file` / `-f`: read or write this file instead of stdin/stdout.
    pub file: String,
    /// `--chown` (copy): owner for the copied files.
    pub chown: String,
    /// `--label` / `-l`: mount label.
    pub label: String,
    /// `--name` / `-n`, repeatable: names, in command-line order.
    pub names: Vec<String>,
    /// `--id` / `-i`: the ID to give the new object.
    pub id: String,
    /// `--readonly` / `-r`.
    pub readonly: bool,
    /// `--hostuidmap`: use no UID map.
    pub host_uid_map: bool,
    /// `--hostgidmap`: use no GID map.
    pub host_gid_map: bool,
    /// `--uidmap`.
    pub uid_map: String,
    /// `--gidmap`.
    pub gid_map: String,
    /// `--subuidmap`.
    pub sub_uid_map: String,
    /// `--subgidmap`.
    pub sub_gid_map: String,
    /// `--digest` / `-d`.
    pub digest: String,
    /// `--metadata` / `-m`.
    pub metadata: String,
    /// `--metadata-file` / `-f`.
    pub metadata_file: String,
    /// `--volatile` (create-container).
    pub volatile: bool,
    /// `--test` / `-t` (delete-image: only report).
    pub test: bool,
    /// `--uncompressed` / `-u` (diff).
    pub uncompressed: bool,
    /// `--gzip` / `-c` (diff).
    pub gzip: bool,
    /// `--bzip2` (diff).
    pub bzip2: bool,
    /// `--xz` (diff).
    pub xz: bool,
    /// `--quiet` / `-q`.
    pub quiet: bool,
    /// `--layer` / `-l` (exists).
    pub layer: bool,
    /// `--image` / `-i` (exists).
    pub image: bool,
    /// `--container` / `-c` (exists).
    pub container: bool,
    /// `--tree` / `-t` (layers).
    pub tree: bool,
    /// `--opt` / `-o` (mount; ignored, as by 1.43).
    pub opt: String,
    /// `--ro` / `-r` (mount).
    pub ro: bool,
    /// `--force` / `-f`.
    pub force: bool,
    /// `--max` / `-m` (check): a Go duration.
    pub max: String,
    /// `--repair` / `-r` (check).
    pub repair: bool,
    /// `--quick` / `-q` (check).
    pub quick: bool,
    /// `--hash-method` (dedup): `crc` (the default), `size` or `sha256`.
    pub hash_method: String,
}

/// A parsed flag's value, as the parser holds it.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    /// A boolean flag.
    Bool(bool),
    /// A string flag.
    Str(&'a str),
    /// A repeatable flag.
    List(&'a [String]),
}

impl CommandFlags {
    /// Stores the value of command flag `long`; false when no field takes
    /// a flag of that name and kind (a table the struct does not cover).
    pub(super) fn set(&mut self, long: &str, value: Value<'_>) -> bool {
        let text = |field: &mut String, value: Value<'_>| match value {
            Value::Str(text) => {
                *field = text.to_string();
                true
            }
            _ => false,
        };
        let flag = |field: &mut bool, value: Value<'_>| match value {
            Value::Bool(set) => {
                *field = set;
                true
            }
            _ => false,
        };
        match long {
            n::JSON => flag(&mut self.json, value),
            n::FILE => text(&mut self.file, value),
            n::CHOWN => text(&mut self.chown, value),
            n::LABEL => text(&mut self.label, value),
            n::NAME => match value {
                Value::List(names) => {
                    self.names = names.to_vec();
                    true
                }
                _ => false,
            },
            n::ID => text(&mut self.id, value),
            n::READONLY => flag(&mut self.readonly, value),
            n::HOST_UID_MAP => flag(&mut self.host_uid_map, value),
            n::HOST_GID_MAP => flag(&mut self.host_gid_map, value),
            n::UID_MAP => text(&mut self.uid_map, value),
            n::GID_MAP => text(&mut self.gid_map, value),
            n::SUB_UID_MAP => text(&mut self.sub_uid_map, value),
            n::SUB_GID_MAP => text(&mut self.sub_gid_map, value),
            n::DIGEST => text(&mut self.digest, value),
            n::METADATA => text(&mut self.metadata, value),
            n::METADATA_FILE => text(&mut self.metadata_file, value),
            n::VOLATILE => flag(&mut self.volatile, value),
            n::TEST => flag(&mut self.test, value),
            n::UNCOMPRESSED => flag(&mut self.uncompressed, value),
            n::GZIP => flag(&mut self.gzip, value),
            n::BZIP2 => flag(&mut self.bzip2, value),
            n::XZ => flag(&mut self.xz, value),
            n::QUIET => flag(&mut self.quiet, value),
            n::LAYER => flag(&mut self.layer, value),
            n::IMAGE => flag(&mut self.image, value),
            n::CONTAINER => flag(&mut self.container, value),
            n::TREE => flag(&mut self.tree, value),
            n::OPT => text(&mut self.opt, value),
            n::RO => flag(&mut self.ro, value),
            n::FORCE => flag(&mut self.force, value),
            n::MAX => text(&mut self.max, value),
            n::REPAIR => flag(&mut self.repair, value),
            n::QUICK => flag(&mut self.quick, value),
            n::HASH_METHOD => text(&mut self.hash_method, value),
            _ => false,
        }
    }
}
