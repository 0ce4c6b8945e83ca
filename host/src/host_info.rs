//! Host side of the `host-info` interface: facts about the directories
//! around the store that the sandbox cannot see (needed by 1.43's
//! `layer-parent-owners`), and the host's user and group names (1.43 puts
//! them into the headers of the diffs it computes). Only the graph root's
//! own ancestry is reported; the component names no path.

use crate::bindings::graphstore::store::host_info::Host;
use std::path::Path;
use wasmtime::component::HasData;

/// What the `host-info` interface reaches of a tenant's state: where its
/// graph root is on the host.
pub struct HostInfoView<'a> {
    pub(crate) graph_root: &'a Path,
}

/// Marks the `host-info` interface for `add_to_linker`.
pub struct HostInfo;

impl HasData for HostInfo {
    type Data<'a> = HostInfoView<'a>;
}

impl Host for HostInfoView<'_> {
    fn graph_root_owners(&mut self) -> Vec<(u32, u32)> {
        graphstore_posix::ancestor_owners(self.graph_root)
    }

    fn user_name(&mut self, uid: u32) -> Option<String> {
        graphstore_posix::user_name(uid)
    }

    fn group_name(&mut self, gid: u32) -> Option<String> {
        graphstore_posix::group_name(gid)
    }
}
