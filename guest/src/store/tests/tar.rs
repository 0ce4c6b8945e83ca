//! Layer diffs built in memory with the crate's tar writer.

use crate::archive::writer::{Metadata, TarWriter};
use crate::format::timestamp::Timestamp;

/// Modification time of every member (2023-11-14T22:13:20Z).
pub const MTIME_SECONDS: i64 = 1_700_000_000;

/// Builds a tar archive member by member.
pub struct TarBuilder {
    tar: TarWriter<Vec<u8>>,
}

/// Metadata owned by `uid`:`gid` with permission bits `mode`.
pub fn meta(mode: i64, uid: i64, gid: i64) -> Metadata {
    Metadata {
        mode,
        uid,
        gid,
        mtime: Timestamp::utc(MTIME_SECONDS, 0),
        ..Metadata::default()
    }
}

impl TarBuilder {
    /// An empty archive.
    pub fn new() -> TarBuilder {
        TarBuilder {
            tar: TarWriter::new(Vec::new()),
        }
    }

    /// Adds directory `path` (mode `mode`, owned by root).
    pub fn dir(mut self, path: &str, mode: i64) -> Self {
        self.tar
            .append_dir(path.as_bytes(), &meta(mode, 0, 0))
            .expect("directory member");
        self
    }

    /// Adds regular file `path` (owned by root).
    pub fn file(self, path: &str, mode: i64, content: &[u8]) -> Self {
        self.file_with(path, &meta(mode, 0, 0), content)
    }

    /// Adds regular file `path` with `meta`.
    pub fn file_with(mut self, path: &str, meta: &Metadata, content: &[u8]) -> Self {
        self.tar
            .append_file(
                path.as_bytes(),
                meta,
                content.len() as u64,
                &mut &content[..],
            )
            .expect("file member");
        self
    }

    /// Adds symlink `path` pointing at `target`.
    pub fn symlink(mut self, path: &str, target: &str) -> Self {
        self.tar
            .append_symlink(path.as_bytes(), target.as_bytes(), &meta(0o777, 0, 0))
            .expect("symlink member");
        self
    }

    /// Adds hard link `path` to the earlier member `target`.
    pub fn hard_link(mut self, path: &str, target: &str) -> Self {
        self.tar
            .append_hardlink(path.as_bytes(), target.as_bytes(), &meta(0o644, 0, 0))
            .expect("hard link member");
        self
    }

    /// Adds the whiteout of `dir/name`.
    pub fn whiteout(mut self, dir: &str, name: &str) -> Self {
        self.tar
            .append_whiteout(
                dir.as_bytes(),
                name.as_bytes(),
                Timestamp::utc(MTIME_SECONDS, 0),
            )
            .expect("whiteout member");
        self
    }

    /// Marks directory `dir` opaque (`dir/.wh..wh..opq`).
    pub fn opaque(self, dir: &str) -> Self {
        self.whiteout(dir, ".wh..opq")
    }

    /// The finished archive.
    pub fn finish(self) -> Vec<u8> {
        self.tar.finish().expect("finish the archive")
    }
}
