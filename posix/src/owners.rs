//! Owners of the directories above a store's graph root, which a
//! capability beneath the root cannot see (1.43's `layer-parent-owners`
//! needs them).

use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Owners (uid, gid) of `root` and its ancestors except `/`, from both
/// `stat` and `lstat`; unreadable entries are skipped.
pub fn ancestor_owners(root: &Path) -> Vec<(u32, u32)> {
    let mut owners = Vec::new();
    for dir in root
        .ancestors()
        .filter(|dir| *dir != Path::new("/") && !dir.as_os_str().is_empty())
    {
        for metadata in [std::fs::metadata(dir), std::fs::symlink_metadata(dir)]
            .into_iter()
            .flatten()
        {
            owners.push((metadata.uid(), metadata.gid()));
        }
    }
    owners
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_every_ancestor_but_the_root_directory() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("a/b");
        std::fs::create_dir_all(&root).unwrap();
        let owners = ancestor_owners(&root);
        // stat and lstat for each of a/b, a, the temp dir and its parents.
        let levels = root.ancestors().filter(|d| *d != Path::new("/")).count();
        assert_eq!(owners.len(), 2 * levels);
        let me = (
            rustix::process::getuid().as_raw(),
            rustix::process::getgid().as_raw(),
        );
        assert_eq!(owners[0], me);
    }
}
