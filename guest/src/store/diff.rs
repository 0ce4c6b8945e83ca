//! Producing a layer's diff (§5.3). When the layer is unchanged since its
//! diff was applied, the original tar is rebuilt byte for byte from the
//! tar-split file and the layer's files (each file's CRC-64 verified).

use super::extract::{DirCache, components};
use super::{Access, Store};
use crate::archive::{ArchiveError, TarSplitReader, ZstdWriter, assemble, gzip_writer};
use crate::disk::{Dir, Errno, Output, byte_names};
use crate::error::{ErrorKind, Result, StoreError};
use crate::records::Compression;
use std::io::{BufWriter, Read, Write};

/// Buffer between the tar producer and the output stream.
const OUTPUT_BUFFER: usize = 1 << 20;

/// 1.43's error for an output compression it cannot produce (bzip2, xz:
/// `archive.CompressStream` has no writer for them).
fn unsupported_compression(compression: Compression) -> Option<StoreError> {
    let name = match compression {
        Compression::Bzip2 => "tar.bz2",
        Compression::Xz => "tar.xz",
        Compression::None | Compression::Gzip | Compression::Zstd => return None,
    };
    Some(StoreError::custom(
        ErrorKind::Unsupported,
        format!("unsupported compression format {name}"),
    ))
}

/// Files up to this size are read in one host call; larger ones are streamed.
const WHOLE_FILE_LIMIT: u64 = 8 << 20;

/// Opens file `name` (a tar member name) of the layer tree for reading;
/// `dirs` keeps the last directory open (entries come grouped by directory).
fn open_member(
    tree: &Dir,
    dirs: &mut DirCache,
    name: &[u8],
) -> std::result::Result<Box<dyn Read>, ArchiveError> {
    let io = |message: String| ArchiveError::Io(std::io::Error::other(message));
    let cleaned = byte_names::encode_path(&crate::archive::path::clean(name)).into_owned();
    let parts = components(&cleaned);
    let not_found = || {
        ArchiveError::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "{}: no such file in the layer",
                String::from_utf8_lossy(name)
            ),
        ))
    };
    let (file, parent) = parts.split_last().ok_or_else(not_found)?;
    let dir = dirs
        .resolve(tree, parent, false)
        .map_err(|err| io(err.message))?
        .ok_or_else(not_found)?;
    match dir.read_small_file(file, WHOLE_FILE_LIMIT) {
        Ok(Some(contents)) => return Ok(Box::new(std::io::Cursor::new(contents))),
        Ok(None) => {}
        Err(err) if err.errno() == Some(Errno::NoEntry) => return Err(not_found()),
        Err(err) => return Err(io(err.to_string())),
    }
    let reader = dir
        .open_reader(file)
        .map_err(|err| io(err.to_string()))?
        .ok_or_else(not_found)?;
    Ok(Box::new(reader))
}

impl Store {
    /// Writes the diff of layer `to` against `from` (default: its parent)
    /// to `out`, compressed as `compression` (default: as it was applied).
    pub fn diff(
        &mut self,
        from: Option<&str>,
        to: &str,
        compression: Option<Compression>,
        out: &mut Output<'_>,
    ) -> Result<()> {
        let _held = self.hold(Access::Read, Access::None, Access::None)?;
        let layers = self.layers()?;
        let layer = layers
            .find(to)
            .ok_or_else(|| StoreError::new(ErrorKind::LayerUnknown))?
            .record;
        // An unknown `from` falls back to the parent, as in 1.43.
        let from = from
            .and_then(|reference| layers.find(reference))
            .map(|l| l.record.id)
            .unwrap_or(layer.parent.clone());
        let compression = compression.unwrap_or(layer.compression);
        if let Some(err) = unsupported_compression(compression) {
            return Err(err);
        }
        let writing = |err: std::io::Error| StoreError::io(format!("writing the diff: {err}"));
        let mut sink = BufWriter::with_capacity(OUTPUT_BUFFER, &mut *out);
        // The gzip trailer and the buffer's tail are written here, so their
        // failures are reported, not lost in a drop.
        match compression {
            Compression::Gzip => {
                let mut gzip = gzip_writer(&mut sink);
                self.write_layer_tar(&layer, &from, &mut gzip)?;
                gzip.finish().map_err(writing)?;
            }
            Compression::Zstd => {
                let mut zstd = ZstdWriter::new(&mut sink);
                self.write_layer_tar(&layer, &from, &mut zstd)?;
                zstd.finish().map_err(writing)?;
            }
            _ => self.write_layer_tar(&layer, &from, &mut sink)?,
        }
        sink.flush().map_err(writing)?;
        drop(sink);
        out.finish()
    }

    /// Writes the uncompressed tar of layer `layer`'s diff against layer
    /// `from` ("" for none) to `sink`: rebuilt from the tar-split (kept by
    /// whichever store holds the layer's record) when `from` is its parent,
    /// else by comparing trees. The caller holds the layers lock.
    pub(super) fn write_layer_tar(
        &mut self,
        layer: &crate::records::Layer,
        from: &str,
        sink: &mut dyn Write,
    ) -> Result<()> {
        let layers = self.layers()?;
        let tree = layers
            .vfs
            .open_layer(&layer.id)?
            .ok_or_else(|| missing_tree(&layers.vfs.layer_path(&layer.id)))?;
        let tar_split = if from == layer.parent {
            layers.open_tar_split(&layer.id)?
        } else {
            None
        };
        match tar_split {
            Some(tar_split) => {
                let mut dirs = DirCache::default();
                assemble(TarSplitReader::gzip(tar_split), sink, |name| {
                    open_member(&tree, &mut dirs, name)
                })?;
            }
            // No record of the applied diff (or another base): compare trees.
            None => {
                let from = (!from.is_empty()).then_some(from);
                self.naive_diff(from, &layer.id, sink)?;
            }
        }
        Ok(())
    }
}

/// The error for a layer whose tree is gone, worded as the vfs driver's
/// `stat` of it.
pub(super) fn missing_tree(path: &str) -> StoreError {
    StoreError::io(format!("stat {path}: no such file or directory"))
}
