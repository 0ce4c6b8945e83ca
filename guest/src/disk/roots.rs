//! Where the store's root directories come from: preopened by the
//! component's runtime, or opened by a native caller.

use super::Dir;
use super::backend::{self, DirHandle};
use super::error::{DiskError, DiskResult};

/// The directory the component's runtime preopened under `name`, standing
/// for host path `host_path`.
#[cfg(target_arch = "wasm32")]
pub fn preopened(name: &str, host_path: &str) -> DiskResult<Dir> {
    DirHandle::preopened(name)
        .map(|handle| Dir::from_handle(handle, host_path))
        .ok_or_else(|| DiskError::NotGranted(format!("{host_path} (preopen {name:?})")))
}

/// Opens host directory `path` for a native store, creating it (mode
/// 0700, with missing parents) when `create` is set. The roots are the
/// only paths resolved outside a capability; everything else is beneath them.
#[cfg(not(target_arch = "wasm32"))]
pub fn open_native(path: &std::path::Path, create: bool) -> DiskResult<Dir> {
    let failed = |op, error: std::io::Error| DiskError::Os {
        op,
        path: path.display().to_string(),
        errno: super::backend::errno_of(&error),
    };
    if create && !path.is_dir() {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(super::DIR_MODE)
            .create(path)
            .map_err(|error| failed("mkdir", error))?;
    }
    let handle = DirHandle::open_path(path).map_err(|error| failed("open", error))?;
    Ok(Dir::from_handle(handle, path.display().to_string()))
}

/// Owners (uid, gid) of the graph root's ancestors (excluding `/`) and of
/// the graph root itself, as the host sees them; empty where the backend
/// cannot see outside its capabilities.
pub fn ancestor_owners(graph_root: &Dir) -> Vec<(u32, u32)> {
    backend::ancestor_owners(graph_root.path())
}

/// The host's name for user `uid` (its user database); `None` when it has
/// none or the backend cannot ask (the portable component).
pub fn host_user_name(uid: u32) -> Option<String> {
    backend::user_name(uid)
}

/// The host's name for group `gid`; `None` as for [`host_user_name`].
pub fn host_group_name(gid: u32) -> Option<String> {
    backend::group_name(gid)
}
