//! A content-addressable blob store (Docker's image-store design): blobs
//! live under `G/blobs/content/sha256/<hex>`, per-blob metadata under
//! `G/blobs/metadata/sha256/<hex>/<key file name>`. Content is verified
//! against its digest on every read; writes are atomic, so concurrent
//! writers of the same content are harmless and readers never see partial
//! blobs.

use super::Store;
use crate::disk::{Dir, EntryKind, Output, TEMP_PREFIX};
use crate::error::{ErrorKind, Result, StoreError};
use crate::ident::{big_data, digest};
use crate::platform::Sha256Hasher;
use std::io::{Read, Write};

const BLOBS_DIR: &str = "blobs";
const CONTENT_DIR: &str = "content";
const METADATA_DIR: &str = "metadata";
/// The only digest algorithm blobs are stored under.
const ALGORITHM: &str = "sha256";
const HEX_LEN: usize = 64;
/// Bytes read from the caller at a time when storing a blob.
const BLOB_CHUNK: usize = 256 * 1024;

/// Checks `text` is a `sha256:<64 hex>` digest; returns the hex part.
pub fn blob_hex(text: &str) -> Result<&str> {
    digest::validate(text)
        .map_err(|why| StoreError::invalid(format!("invalid blob digest {text:?}: {why}")))?;
    match text.split_once(':') {
        Some((ALGORITHM, hex)) => Ok(hex),
        _ => Err(StoreError::invalid(format!(
            "invalid blob digest {text:?}: only {ALGORITHM} is supported"
        ))),
    }
}

/// Whether a directory entry name is a stored blob (64 lowercase hex digits).
pub fn is_blob_name(name: &str) -> bool {
    name.len() == HEX_LEN && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn blob_unknown(digest: &str) -> StoreError {
    StoreError::with_context(ErrorKind::BlobUnknown, format_args!("blob {digest}"))
}

impl Store {
    /// `G/blobs/<kind>/sha256`, created when `create` is set.
    fn blob_dir(&self, kind: &str, create: bool) -> Result<Option<Dir>> {
        if create {
            self.check_writable()?;
            return Ok(Some(
                self.graph
                    .ensure_dir(BLOBS_DIR)?
                    .ensure_dir(kind)?
                    .ensure_dir(ALGORITHM)?,
            ));
        }
        let Some(blobs) = self.graph.open_dir(BLOBS_DIR)? else {
            return Ok(None);
        };
        let Some(kind_dir) = blobs.open_dir(kind)? else {
            return Ok(None);
        };
        Ok(kind_dir.open_dir(ALGORITHM)?)
    }

    /// Stores the content of `data`; returns its digest.
    pub fn put_blob(&mut self, data: &mut dyn Read) -> Result<String> {
        let dir = self.blob_dir(CONTENT_DIR, true)?.expect("created");
        // The final name is known only at the end: stream into a temporary
        // file, then publish it under its digest.
        let mut file = dir.begin_atomic("blob")?;
        let mut hasher = Sha256Hasher::new();
        let mut chunk = vec![0; BLOB_CHUNK];
        loop {
            let count = match data.read(&mut chunk) {
                Ok(0) => break,
                Ok(count) => count,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(StoreError::io(format!("reading input: {err}"))),
            };
            hasher.update(&chunk[..count]);
            file.append(&chunk[..count])?;
        }
        if file.is_empty() {
            return Err(StoreError::invalid("refusing to store an empty blob"));
        }
        let hex = hex::encode(hasher.digest());
        file.commit_as(&hex)?;
        Ok(format!("{ALGORITHM}:{hex}"))
    }

    /// Streams blob `digest` to `out`, verifying its content; returns its size.
    pub fn get_blob(&mut self, digest: &str, out: &mut Output<'_>) -> Result<u64> {
        let hex = blob_hex(digest)?;
        let dir = self
            .blob_dir(CONTENT_DIR, false)?
            .ok_or_else(|| blob_unknown(digest))?;
        let mut reader = dir.open_reader(hex)?.ok_or_else(|| blob_unknown(digest))?;
        let mut hasher = Sha256Hasher::new();
        let mut size = 0u64;
        while let Some(chunk) = reader.next_chunk()? {
            hasher.update(&chunk);
            size += chunk.len() as u64;
            out.write_all(&chunk)
                .map_err(|err| StoreError::io(format!("writing output: {err}")))?;
        }
        out.finish()?;
        let actual = hex::encode(hasher.digest());
        if actual != hex {
            return Err(StoreError::with_context(
                ErrorKind::BlobCorrupt,
                format_args!("blob {digest} reads back as {ALGORITHM}:{actual}"),
            ));
        }
        Ok(size)
    }

    /// Removes a blob and its metadata.
    pub fn delete_blob(&mut self, digest: &str) -> Result<()> {
        let hex = blob_hex(digest)?;
        self.check_writable()?;
        let dir = self
            .blob_dir(CONTENT_DIR, false)?
            .ok_or_else(|| blob_unknown(digest))?;
        if dir.entry_kind(hex)?.is_none() {
            return Err(blob_unknown(digest));
        }
        dir.remove_file(hex)?;
        if let Some(metadata) = self.blob_dir(METADATA_DIR, false)? {
            metadata.remove_tree(hex)?;
        }
        Ok(())
    }

    /// Digests of every stored blob, sorted.
    pub fn list_blobs(&mut self) -> Result<Vec<String>> {
        let Some(dir) = self.blob_dir(CONTENT_DIR, false)? else {
            return Ok(Vec::new());
        };
        let mut digests: Vec<String> = dir
            .entries()?
            .into_iter()
            .filter(|(name, kind)| *kind == EntryKind::File && is_blob_name(name))
            .map(|(name, _)| format!("{ALGORITHM}:{name}"))
            .collect();
        digests.sort();
        Ok(digests)
    }

    /// The metadata directory of an existing blob and the file name of `key`.
    fn blob_metadata_file(
        &self,
        digest: &str,
        key: &str,
        create: bool,
    ) -> Result<(Option<Dir>, String)> {
        let hex = blob_hex(digest)?;
        let exists = match self.blob_dir(CONTENT_DIR, false)? {
            Some(dir) => dir.entry_kind(hex)?.is_some(),
            None => false,
        };
        if !exists {
            return Err(blob_unknown(digest));
        }
        let file = big_data::file_name(key).ok_or_else(|| {
            StoreError::with_context(
                ErrorKind::InvalidBigDataName,
                format_args!("metadata key {key:?}"),
            )
        })?;
        let dir = match self.blob_dir(METADATA_DIR, create)? {
            Some(root) if create => Some(root.ensure_dir(hex)?),
            Some(root) => root.open_dir(hex)?,
            None => None,
        };
        Ok((dir, file))
    }

    /// Sets metadata item `key` of blob `digest`.
    pub fn set_blob_metadata(&mut self, digest: &str, key: &str, value: &[u8]) -> Result<()> {
        let (dir, file) = self.blob_metadata_file(digest, key, true)?;
        Ok(dir.expect("created").write_file_atomic(&file, value)?)
    }

    /// Metadata item `key` of blob `digest`.
    pub fn blob_metadata(&mut self, digest: &str, key: &str) -> Result<Vec<u8>> {
        let (dir, file) = self.blob_metadata_file(digest, key, false)?;
        let missing = || StoreError::io(format!("blob {digest} has no metadata item {key:?}"));
        dir.ok_or_else(missing)?
            .read_file(&file)?
            .ok_or_else(missing)
    }

    /// Removes metadata item `key` of blob `digest`.
    pub fn delete_blob_metadata(&mut self, digest: &str, key: &str) -> Result<()> {
        self.check_writable()?;
        let (dir, file) = self.blob_metadata_file(digest, key, false)?;
        match dir {
            Some(dir) => Ok(dir.remove_file(&file)?),
            None => Ok(()),
        }
    }

    /// Removes temporary files a crash left in the blob directories;
    /// returns one line per file removed.
    pub(super) fn sweep_blob_temporaries(&mut self) -> Result<Vec<String>> {
        let mut removed = Vec::new();
        if self.options.read_only {
            return Ok(removed);
        }
        if let Some(dir) = self.blob_dir(CONTENT_DIR, false)? {
            for (name, _) in dir.entries()? {
                if name.starts_with(TEMP_PREFIX) {
                    dir.remove_tree(&name)?;
                    removed.push(format!(
                        "removed temporary blob file {}",
                        dir.child_path(&name)
                    ));
                }
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_digests_are_validated() {
        let hex = "a".repeat(64);
        assert_eq!(blob_hex(&format!("sha256:{hex}")).unwrap(), hex);
        for bad in [
            "sha256:abc",
            "md5:abc",
            "foo",
            &format!("sha512:{}", "a".repeat(128)),
            &format!("sha256:../{}", "a".repeat(61)),
        ] {
            assert_eq!(
                blob_hex(bad).unwrap_err().kind,
                ErrorKind::InvalidInput,
                "{bad}"
            );
        }
    }

    #[test]
    fn only_hex_names_are_blobs() {
        assert!(is_blob_name(&"0f".repeat(32)));
        for name in [".tmp-blob123", &"A".repeat(64), &"a".repeat(63)] {
            assert!(!is_blob_name(name), "{name}");
        }
    }
}
