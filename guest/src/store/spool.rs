//! Scratch files for the chunked forms of the streaming operations: an
//! embedder without `wasi:io` streams pushes a diff or blob a chunk at a
//! time (kept in a [`Spool`] until the operation runs), or reads a diff,
//! blob or data item a chunk at a time (produced into one first). See
//! docs/ARCHITECTURE.md ("Chunked forms") for why the bytes are spooled.

use super::Store;
use crate::disk::Spool;
use crate::error::Result;

impl Store {
    /// A scratch file for input pushed in chunks (a diff or blob to
    /// import); refused up front when the store is read-only. It lives in
    /// `vfs-layers`, on the file system the input will be written to.
    pub fn input_spool(&mut self) -> Result<Spool> {
        self.check_writable()?;
        Ok(self.layers()?.file.dir().create_spool()?)
    }

    /// A scratch file for output read in chunks: in `vfs-layers`, or in the
    /// run root when the store is read-only (its graph root may be too).
    pub fn output_spool(&mut self) -> Result<Spool> {
        if self.options.read_only {
            return Ok(self.run.create_spool()?);
        }
        Ok(self.layers()?.file.dir().create_spool()?)
    }
}
