//! What a build's disk backend can keep besides file contents: its
//! capability profile. The store refuses input the profile cannot keep
//! (`ErrorKind::UnsupportedByProfile`) instead of altering it silently,
//! and `status` names a reduced profile.

/// What the disk backend of this build keeps on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// The profile's name as `status` reports it.
    pub name: &'static str,
    /// File owners other than 0:0 (`chown`).
    pub owners: bool,
    /// Permission bits: a file reads back with the mode it was given.
    pub permission_bits: bool,
    /// The setuid, setgid and sticky bits.
    pub special_bits: bool,
    /// Extended attributes.
    pub xattrs: bool,
    /// Device nodes and FIFOs.
    pub device_nodes: bool,
    /// Symlinks with absolute targets.
    pub absolute_symlinks: bool,
    /// File names and symlink targets that are not UTF-8 (Linux names are
    /// bytes; WASI 0.2 paths are strings).
    pub byte_names: bool,
    /// Lock files that exclude other processes (fcntl locks shared with
    /// containers/storage).
    pub cross_process_locks: bool,
}

impl Profile {
    /// Everything (the component with graphstore's host imports, and the
    /// native backend).
    pub const FULL: Profile = Profile {
        name: "full",
        owners: true,
        permission_bits: true,
        special_bits: true,
        xattrs: true,
        device_nodes: true,
        absolute_symlinks: true,
        byte_names: true,
        cross_process_locks: true,
    };

    /// WASI 0.2 alone (`graphstore-portable.wasm`): contents, directories,
    /// relative symlinks, hard links and times; no metadata WASI cannot
    /// express.
    pub const PORTABLE: Profile = Profile {
        name: "portable",
        owners: false,
        permission_bits: false,
        special_bits: false,
        xattrs: false,
        device_nodes: false,
        absolute_symlinks: false,
        byte_names: false,
        cross_process_locks: false,
    };

    /// What this profile does not keep, worded for `status` and errors
    /// (empty for the full profile).
    pub fn lacks(&self) -> Vec<&'static str> {
        [
            (self.owners, "owners"),
            (self.permission_bits, "permission bits"),
            (self.special_bits, "setuid/setgid/sticky bits"),
            (self.xattrs, "extended attributes"),
            (self.device_nodes, "device nodes and FIFOs"),
            (self.absolute_symlinks, "absolute symlinks"),
            (self.byte_names, "names that are not UTF-8"),
            (self.cross_process_locks, "cross-process locks"),
        ]
        .into_iter()
        .filter(|(kept, _)| !kept)
        .map(|(_, what)| what)
        .collect()
    }

    /// The rows `status` adds for this profile: none for the full profile
    /// (whose `status` is 1.43's, row for row), else its name and what it lacks.
    pub fn status_rows(&self) -> Vec<(String, String)> {
        if *self == Profile::FULL {
            return Vec::new();
        }
        vec![
            ("Profile".into(), self.name.into()),
            ("Profile Lacks".into(), self.lacks().join(", ")),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_full_profile_adds_no_status_rows() {
        assert!(Profile::FULL.lacks().is_empty());
        assert!(Profile::FULL.status_rows().is_empty());
    }

    #[test]
    fn the_portable_profile_names_what_it_lacks() {
        assert_eq!(
            Profile::PORTABLE.status_rows(),
            [
                ("Profile".to_string(), "portable".to_string()),
                (
                    "Profile Lacks".to_string(),
                    "owners, permission bits, setuid/setgid/sticky bits, extended attributes, \
                     device nodes and FIFOs, absolute symlinks, names that are not UTF-8, \
                     cross-process locks"
                        .to_string()
                ),
            ]
        );
    }
}
