//! Layer leases (Docker's design): a session retains layers while it works
//! with them (e.g. an in-flight pull), and delete-layer / delete-image leave
//! them alone until released. Leases live in the run root
//! (`R/graphstore-leases/leases.json`, guarded by `leases.lock`), so every
//! process sharing the store sees them and they vanish on reboot.

use super::{Access, Store};
use crate::disk::{Dir, Lock};
use crate::error::{ErrorKind, Result, StoreError};
use crate::format::go_json;
use std::collections::{BTreeMap, BTreeSet};

const LEASES_DIR: &str = "graphstore-leases";
const LEASES_JSON: &str = "leases.json";
const LEASES_LOCK: &str = "leases.lock";

/// Session name → IDs of the layers it holds.
pub type Leases = BTreeMap<String, BTreeSet<String>>;

/// Parses `leases.json` (an object of session → layer IDs).
pub fn parse_leases(bytes: &[u8]) -> serde_json::Result<Leases> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Leases::new());
    }
    go_json::from_slice(bytes)
}

impl Store {
    fn leases_dir(&self, create: bool) -> Result<Option<Dir>> {
        if create {
            self.check_writable()?;
            return Ok(Some(self.run.ensure_dir(LEASES_DIR)?));
        }
        Ok(self.run.open_dir(LEASES_DIR)?)
    }

    /// Runs `change` on the lease table under its lock; saves when `write`.
    fn with_leases<T>(
        &mut self,
        write: bool,
        change: impl FnOnce(&mut Leases) -> Result<T>,
    ) -> Result<T> {
        let Some(dir) = self.leases_dir(write)? else {
            return change(&mut Leases::new());
        };
        let lock = Lock::open(&dir, LEASES_LOCK, !write)?;
        let _guard = if write {
            lock.exclusive()?
        } else {
            lock.shared()?
        };
        let bytes = dir.read_file(LEASES_JSON)?.unwrap_or_default();
        let mut leases = parse_leases(&bytes).map_err(|err| {
            StoreError::corrupt(format!("{}: {err}", dir.child_path(LEASES_JSON)))
        })?;
        let result = change(&mut leases)?;
        if write {
            leases.retain(|_, layers| !layers.is_empty());
            if leases.is_empty() {
                dir.remove_file(LEASES_JSON)?;
            } else {
                dir.write_file_atomic(LEASES_JSON, &go_json::to_vec(&leases))?;
            }
            lock.touch()?;
        }
        Ok(result)
    }

    /// Session `session` holds `layers` (each must exist).
    pub fn retain_layers(&mut self, session: &str, layers: &[String]) -> Result<()> {
        self.check_writable()?;
        let _held = self.hold(Access::Read, Access::None, Access::None)?;
        let mut ids = Vec::new();
        for reference in layers {
            let layer = self.layers()?.find(reference).ok_or_else(|| {
                StoreError::with_context(
                    ErrorKind::LayerUnknown,
                    format_args!("retaining {reference:?}"),
                )
            })?;
            ids.push(layer.record.id);
        }
        self.with_leases(true, |leases| {
            leases.entry(session.to_string()).or_default().extend(ids);
            Ok(())
        })
    }

    /// Session `session` no longer holds `layers`.
    pub fn release_layers(&mut self, session: &str, layers: &[String]) -> Result<()> {
        self.check_writable()?;
        let _held = self.hold(Access::Read, Access::None, Access::None)?;
        let mut ids = Vec::new();
        for reference in layers {
            let resolved = self.layers()?.find(reference).map(|l| l.record.id);
            ids.push(resolved.unwrap_or_else(|| reference.clone()));
        }
        self.with_leases(true, |leases| {
            if let Some(held) = leases.get_mut(session) {
                for id in &ids {
                    held.remove(id);
                }
            }
            Ok(())
        })
    }

    /// Every session and the layers it holds.
    pub fn leases(&mut self) -> Result<Vec<(String, Vec<String>)>> {
        self.with_leases(false, |leases| {
            Ok(leases
                .iter()
                .map(|(session, layers)| (session.clone(), layers.iter().cloned().collect()))
                .collect())
        })
    }

    /// Layer ID → a session holding it.
    pub(super) fn leased_layers(&mut self) -> Result<BTreeMap<String, String>> {
        self.with_leases(false, |leases| {
            let mut holders = BTreeMap::new();
            for (session, layers) in leases.iter() {
                for layer in layers {
                    holders
                        .entry(layer.clone())
                        .or_insert_with(|| session.clone());
                }
            }
            Ok(holders)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_files_parse_and_encode() {
        let leases = parse_leases(br#"{"pull-1":["a","b"],"pull-2":[]}"#).unwrap();
        assert_eq!(leases["pull-1"].len(), 2);
        assert_eq!(
            go_json::to_string(&leases),
            r#"{"pull-1":["a","b"],"pull-2":[]}"#
        );
        assert!(parse_leases(b"").unwrap().is_empty());
        assert!(parse_leases(b"[1]").is_err());
    }
}
