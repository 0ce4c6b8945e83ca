//! How durable a finished operation is: the vfs driver's `sync` option
//! (`--storage-opt vfs.sync=filesystem`), as in containers/storage since
//! 2026.
//!
//! - `none` (the default, as upstream and 1.43): record files are replaced
//!   atomically (data synced before the rename), nothing more. A power cut
//!   may roll back an operation that reported success, or leave a layer
//!   listed whose files are empty.
//! - `filesystem`: before a layer is marked present its file system is
//!   synced (`syncfs`, as upstream), and every record file's directory is
//!   synced after the rename that publishes it, so what an operation
//!   reported as done survives a power cut.

use crate::error::{Result, StoreError};

/// The driver option keys naming the sync mode (later ones win).
const SYNC_OPTION_KEYS: [&str; 2] = ["vfs.sync", ".sync"];

/// When the store forces what it wrote to the device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SyncMode {
    /// No synchronization beyond atomic replacement.
    #[default]
    None,
    /// `syncfs` before a layer is marked present; directories synced after
    /// record files are replaced.
    Filesystem,
}

impl SyncMode {
    /// Parses a `sync` value as upstream does (case-insensitive, trimmed,
    /// empty means `none`).
    pub fn parse(value: &str) -> std::result::Result<SyncMode, String> {
        match value.trim().to_lowercase().as_str() {
            "" | "none" => Ok(SyncMode::None),
            "filesystem" => Ok(SyncMode::Filesystem),
            _ => Err(format!("invalid sync mode: {value:?}")),
        }
    }

    /// The mode the driver options (`key=value` strings) select.
    pub fn from_driver_options(options: &[String]) -> Result<SyncMode> {
        let mut mode = SyncMode::None;
        for option in options {
            let Some((key, value)) = option.split_once('=') else {
                continue;
            };
            if SYNC_OPTION_KEYS.contains(&key.trim().to_lowercase().as_str()) {
                mode = SyncMode::parse(value).map_err(|message| {
                    StoreError::invalid(format!("invalid sync mode for vfs driver: {message}"))
                })?;
            }
        }
        Ok(mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn sync_modes_parse_as_upstream() {
        for (value, mode) in [
            ("", SyncMode::None),
            ("none", SyncMode::None),
            (" NONE ", SyncMode::None),
            ("filesystem", SyncMode::Filesystem),
            ("FileSystem", SyncMode::Filesystem),
        ] {
            assert_eq!(SyncMode::parse(value), Ok(mode), "{value:?}");
        }
        assert_eq!(
            SyncMode::parse("always"),
            Err("invalid sync mode: \"always\"".to_string())
        );
    }

    #[test]
    fn the_last_sync_option_wins_and_bad_ones_are_named() {
        let options = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            SyncMode::from_driver_options(&options(&["vfs.imagestore=/x"])).unwrap(),
            SyncMode::None
        );
        assert_eq!(
            SyncMode::from_driver_options(&options(&["vfs.sync=none", ".sync=filesystem"]))
                .unwrap(),
            SyncMode::Filesystem
        );
        let error = SyncMode::from_driver_options(&options(&["vfs.sync=sometimes"])).unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidInput);
        assert_eq!(
            error.to_string(),
            "invalid sync mode for vfs driver: invalid sync mode: \"sometimes\""
        );
    }
}
