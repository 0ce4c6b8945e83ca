//! Host side of the `host-info` interface: facts about the directories
//! around the store that the sandbox cannot see (needed by 1.43's
//! `layer-parent-owners`). Only the graph root's own ancestry is reported;
//! the component names no path.

use crate::bindings::graphstore::store::host_info::Host;
use crate::state::HostState;

impl Host for HostState {
    fn graph_root_owners(&mut self) -> Vec<(u32, u32)> {
        graphstore_posix::ancestor_owners(&self.graph_root)
    }
}
