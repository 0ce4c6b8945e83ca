//! How to open a store: roots, driver, driver options, ID maps, limits.

use crate::IdMap;
use crate::error::{Error, ErrorKind};
use crate::state::Limits;
use graphstore_guest::store::SyncMode;
use std::path::PathBuf;

/// The only storage driver graphstore implements.
pub const DEFAULT_DRIVER: &str = "vfs";
/// Directory under the user's data directory used when no graph root is given.
pub const DEFAULT_ROOT_NAME: &str = "graphstore";

/// Options for [`crate::Store::open`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// The graph root (layers, images, containers).
    pub graph_root: PathBuf,
    /// The run root (mount state, runtime directories).
    pub run_root: PathBuf,
    /// Storage driver name; only `vfs`.
    pub driver_name: String,
    /// Driver options, e.g. `vfs.imagestore=/path`.
    pub driver_options: Vec<String>,
    /// Default UID map of new layers and containers.
    pub uid_map: Vec<IdMap>,
    /// Default GID map of new layers and containers.
    pub gid_map: Vec<IdMap>,
    /// Open without write access to the roots.
    pub read_only: bool,
    /// Sandbox limits.
    pub limits: Limits,
    /// Most decompressed bytes one layer diff may expand to.
    pub max_diff_bytes: Option<u64>,
    /// Most tar entries one layer diff may hold.
    pub max_diff_entries: Option<u64>,
    /// Transient store (newer containers/storage's `--transient-store`):
    /// container records and the container lock live in the run root and
    /// are written without syncing, so containers are gone after a reboot.
    pub transient_store: bool,
    /// Split image store (newer containers/storage's `--image-store`):
    /// images and their layers are kept under this root, containers under
    /// the graph root.
    pub image_store: Option<PathBuf>,
}

impl StoreOptions {
    /// Options for the given roots with the vfs driver and defaults elsewhere.
    pub fn new(graph_root: impl Into<PathBuf>, run_root: impl Into<PathBuf>) -> Self {
        StoreOptions {
            graph_root: graph_root.into(),
            run_root: run_root.into(),
            driver_name: DEFAULT_DRIVER.to_string(),
            driver_options: Vec::new(),
            uid_map: Vec::new(),
            gid_map: Vec::new(),
            read_only: false,
            limits: Limits::default(),
            max_diff_bytes: None,
            max_diff_entries: None,
            transient_store: false,
            image_store: None,
        }
    }

    /// The default roots: `$XDG_DATA_HOME/graphstore/{graph,run}` (or
    /// `~/.local/share/graphstore/…`).
    pub fn default_roots() -> Self {
        let base = std::env::var_os("XDG_DATA_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share"))
            })
            .unwrap_or_else(std::env::temp_dir)
            .join(DEFAULT_ROOT_NAME);
        StoreOptions::new(base.join("graph"), base.join("run"))
    }
}

/// What the driver options say, once checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriverConfig {
    /// Additional read-only image stores, in lookup order.
    pub image_stores: Vec<PathBuf>,
    /// Whether chown failures are ignored.
    pub ignore_chown_errors: bool,
    /// When written data is forced to the device (`vfs.sync`).
    pub sync: SyncMode,
}

/// Checks vfs driver options as 1.43's vfs driver does and extracts them.
pub fn parse_driver_options(options: &[String]) -> Result<DriverConfig, Error> {
    let invalid = |message: String| Error::store(ErrorKind::InvalidInput, message);
    let mut config = DriverConfig::default();
    for option in options {
        let Some((key, value)) = option.split_once('=') else {
            return Err(invalid(format!(
                "unable to parse key/value option: {option}"
            )));
        };
        let key = key.trim().to_lowercase();
        match key.as_str() {
            "vfs.imagestore" | ".imagestore" => {
                config.image_stores.extend(
                    value
                        .split(',')
                        .filter(|p| !p.is_empty())
                        .map(PathBuf::from),
                );
            }
            "vfs.ignore_chown_errors" | ".ignore_chown_errors" => {
                config.ignore_chown_errors = graphstore_guest::format::go::parse_bool(value)
                    .ok_or_else(|| {
                        invalid(format!(
                            "strconv.ParseBool: parsing {value:?}: invalid syntax"
                        ))
                    })?;
            }
            "vfs.sync" | ".sync" => {
                config.sync = SyncMode::parse(value).map_err(|message| {
                    invalid(format!("invalid sync mode for vfs driver: {message}"))
                })?;
            }
            "vfs.mountopt" | ".mountopt" => {
                return Err(invalid("vfs driver does not support mount options".into()));
            }
            _ => {
                return Err(invalid(format!(
                    "vfs driver does not support {key} options"
                )));
            }
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn driver_options_match_the_vfs_driver() {
        let config = parse_driver_options(&opts(&[
            "vfs.imagestore=/a,/b",
            ".imagestore=/c",
            "vfs.ignore_chown_errors=true",
            "vfs.sync=FileSystem",
        ]))
        .unwrap();
        assert_eq!(config.sync, SyncMode::Filesystem);
        assert_eq!(
            config.image_stores,
            vec![
                PathBuf::from("/a"),
                PathBuf::from("/b"),
                PathBuf::from("/c")
            ]
        );
        assert!(config.ignore_chown_errors);
        let cases = [
            (
                "vfs.mountopt=nodev",
                "vfs driver does not support mount options",
            ),
            (
                "overlay.mountopt=nodev",
                "vfs driver does not support overlay.mountopt options",
            ),
            ("VFS.Size=1", "vfs driver does not support vfs.size options"),
            ("novalue", "unable to parse key/value option: novalue"),
            (
                "vfs.ignore_chown_errors=maybe",
                "strconv.ParseBool: parsing \"maybe\": invalid syntax",
            ),
            (
                ".sync=always",
                "invalid sync mode for vfs driver: invalid sync mode: \"always\"",
            ),
        ];
        for (option, message) in cases {
            assert_eq!(
                parse_driver_options(&opts(&[option]))
                    .unwrap_err()
                    .to_string(),
                message,
                "{option}"
            );
        }
    }
}
