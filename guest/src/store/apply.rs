//! Applying layer diffs: `put-layer` (create, then apply) and `apply-diff`
//! (§5.1, §5.2). The diff streams through compression detection, a digest
//! of the input as supplied and decompression (`decoding`: in the component,
//! or by the host), the tar-split recorder and the extractor; nothing holds
//! the whole diff in memory.

use super::decoding::Decoding;
use super::extract::Extractor;
use super::layer_store::TAR_SPLIT_SUFFIX;
use super::layers::LayerOptions;
use super::{Access, LayerView, Store};
use crate::archive::{Disassembler, Disassembly, SniffingReader, TarSplitWriter};
use crate::disk::{Input, InputFailure};
use crate::error::{ErrorKind, Result, StoreError};
use std::io::Read;

/// Limits on what one diff may expand to (decompression bombs, inode floods).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiffLimits {
    /// Most decompressed bytes; `None` for no limit.
    pub max_bytes: Option<u64>,
    /// Most tar members; `None` for no limit.
    pub max_entries: Option<u64>,
}

/// The decoded stream: every error not from the caller's stream is bad data
/// (an early end stays an early end, which the tar reader reports itself).
struct DataErrors<R>(R);

impl<R: Read> Read for DataErrors<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(out).map_err(|err| {
            if InputFailure::is_cause_of(&err) || err.kind() == std::io::ErrorKind::UnexpectedEof {
                err
            } else {
                std::io::Error::new(std::io::ErrorKind::InvalidData, err.to_string())
            }
        })
    }
}

/// Why a diff bigger than [`DiffLimits::max_bytes`] is refused.
const EXPANDS_BEYOND_LIMIT: &str = "the diff expands beyond the store's size limit for layer diffs";

/// A reader that fails once more than `limit` bytes were read.
struct Bounded<R> {
    inner: R,
    remaining: Option<u64>,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(out)?;
        if let Some(remaining) = &mut self.remaining {
            *remaining = remaining
                .checked_sub(count as u64)
                .ok_or_else(|| std::io::Error::other(EXPANDS_BEYOND_LIMIT))?;
        }
        Ok(count)
    }
}

impl Store {
    /// Creates a layer and applies `diff` to it; on failure the layer is
    /// removed again.
    pub fn put_layer(
        &mut self,
        id: Option<&str>,
        parent: Option<&str>,
        names: Vec<String>,
        options: &LayerOptions,
        diff: Input<'_>,
    ) -> Result<LayerView> {
        self.check_writable()?;
        let _held = self.hold(Access::Write, Access::None, Access::Read)?;
        let id = self.begin_layer(id, parent, names, options, None)?;
        if let Err(err) = self.apply_to_layer(&id, diff) {
            let _ = self.layers()?.delete(&id);
            return Err(err);
        }
        self.finish_layer(&id)
    }

    /// Applies `diff` to existing layer `to`; returns the uncompressed size.
    /// On failure whatever was extracted stays and the record is unchanged
    /// (as in 1.43).
    pub fn apply_diff(&mut self, to: &str, diff: Input<'_>) -> Result<i64> {
        self.check_writable()?;
        let _held = self.hold(Access::Write, Access::None, Access::Read)?;
        let (_, id) = self.layers()?.resolve_primary(to)?;
        self.apply_to_layer(&id, diff)?;
        self.sync_before_publishing()?;
        let layers = self.layers()?;
        layers.save()?;
        let position = layers
            .file
            .position_of_id(&id)
            .ok_or_else(|| StoreError::new(ErrorKind::LayerUnknown))?;
        Ok(layers.file.at(position).uncompressed_size)
    }

    /// Extracts `diff` into layer `id`, replaces its tar-split and records
    /// digests, sizes, compression and ID sets (in memory: the caller
    /// publishes the record).
    fn apply_to_layer(&mut self, id: &str, diff: Input<'_>) -> Result<()> {
        let limits = self.options.diff_limits;
        let layers = self.layers()?;
        let position = layers
            .file
            .position_of_id(id)
            .ok_or_else(|| StoreError::new(ErrorKind::LayerUnknown))?;
        let record = layers.file.at(position).clone();
        let tree = layers.vfs.open_layer(id)?.ok_or_else(|| {
            StoreError::io(format!(
                "{}: no such file or directory",
                layers.vfs.layer_path(id)
            ))
        })?;

        let reading = |err| StoreError::io(format!("reading the diff: {err}"));
        let mut sniffed = SniffingReader::new(diff).map_err(reading)?;
        let compression = sniffed.compression();
        let format = sniffed.stream_compression().map_err(reading)?;
        let mut decoding = Decoding::choose(sniffed, format)?;
        let expanded = DataErrors(Bounded {
            inner: decoding.decoded()?,
            remaining: limits.max_bytes,
        });
        let tar_split = layers
            .file
            .dir()
            .begin_atomic(&format!("{id}{TAR_SPLIT_SUFFIX}"))?;
        let mut tar = Disassembler::new(expanded, TarSplitWriter::gzip(tar_split));
        let mut extractor = Extractor::new(&tree, &record.uid_map, &record.gid_map);
        let mut members = 0u64;
        while let Some(member) = tar.next_member()? {
            members += 1;
            if limits.max_entries.is_some_and(|max| members > max) {
                return Err(StoreError::invalid(format!(
                    "the diff has more than {} entries, the store's limit for layer diffs",
                    limits.max_entries.unwrap_or_default()
                )));
            }
            // Holes of sparse members expand beyond the bytes read.
            if let Some(max) = limits.max_bytes
                && tar.consumed().saturating_add(tar.hole_bytes()) > max
            {
                return Err(StoreError::invalid(EXPANDS_BEYOND_LIMIT));
            }
            extractor.apply(&member, &mut tar)?;
        }
        extractor.finish()?;
        let Disassembly {
            sink,
            diff: expanded,
            uids,
            gids,
        } = tar.finish()?;
        sink.finish()?.commit()?;
        let supplied = decoding.finish(expanded).map_err(reading)?;

        layers.file.update(position, |layer| {
            layer.compressed_digest = supplied.digest_string();
            layer.compressed_size = supplied.size as i64;
            layer.uncompressed_digest = expanded.digest_string();
            layer.uncompressed_size = expanded.size as i64;
            layer.compression = compression;
            layer.uid_set = uids;
            layer.gid_set = gids;
        });
        Ok(())
    }
}
