//! What the store asks of its environment besides files: randomness, the
//! wall clock and SHA-256. In a component these are WASI imports and (with
//! the host backend) the host's `hashing`; natively, the OS and `sha2`.
//! With the host backend, the host also decodes gzip and zstd layer diffs
//! (`HostDecoder`, the `decoding` import).

use crate::format::timestamp::Timestamp;

#[cfg(all(target_arch = "wasm32", not(feature = "wasi-only")))]
mod host_decoder;
#[cfg(all(target_arch = "wasm32", not(feature = "wasi-only")))]
pub use host_decoder::HostDecoder;

/// `N` bytes from a cryptographically secure random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    #[cfg(target_arch = "wasm32")]
    out.copy_from_slice(&wasip2::random::random::get_random_bytes(N as u64)[..N]);
    #[cfg(not(target_arch = "wasm32"))]
    graphstore_posix::random_bytes(&mut out);
    out
}

/// The current time in UTC.
pub fn now() -> Timestamp {
    #[cfg(target_arch = "wasm32")]
    {
        let now = wasip2::clocks::wall_clock::now();
        Timestamp::utc(now.seconds as i64, now.nanoseconds)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp::utc(since_epoch.as_secs() as i64, since_epoch.subsec_nanos())
    }
}

/// A running SHA-256. In the component with host imports the host computes
/// it (with the CPU's SHA instructions, which WebAssembly lacks); data is
/// handed over in large batches so small updates (tar headers) cost no
/// host call each. Elsewhere it is computed in place.
pub struct Sha256Hasher {
    #[cfg(all(target_arch = "wasm32", not(feature = "wasi-only")))]
    host: crate::bindings::graphstore::store::hashing::Sha256,
    #[cfg(all(target_arch = "wasm32", not(feature = "wasi-only")))]
    pending: Vec<u8>,
    #[cfg(any(not(target_arch = "wasm32"), feature = "wasi-only"))]
    local: sha2::Sha256,
}

/// Bytes collected before they are handed to the host hasher.
#[cfg(all(target_arch = "wasm32", not(feature = "wasi-only")))]
const HASH_BATCH: usize = 256 * 1024;

impl Default for Sha256Hasher {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(all(target_arch = "wasm32", not(feature = "wasi-only")))]
impl Sha256Hasher {
    /// An empty hash.
    pub fn new() -> Self {
        Sha256Hasher {
            host: crate::bindings::graphstore::store::hashing::Sha256::new(),
            pending: Vec::new(),
        }
    }

    /// Adds `data` to the hash.
    pub fn update(&mut self, data: &[u8]) {
        if self.pending.is_empty() && data.len() >= HASH_BATCH {
            self.host.update(data);
            return;
        }
        self.pending.extend_from_slice(data);
        if self.pending.len() >= HASH_BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.pending.is_empty() {
            self.host.update(&self.pending);
            self.pending.clear();
        }
    }

    /// The digest of everything added so far (more may be added after).
    pub fn digest(&mut self) -> [u8; 32] {
        self.flush();
        let bytes = self.host.digest();
        let mut out = [0u8; 32];
        out.copy_from_slice(&bytes[..32]);
        out
    }
}

#[cfg(any(not(target_arch = "wasm32"), feature = "wasi-only"))]
impl Sha256Hasher {
    /// An empty hash.
    pub fn new() -> Self {
        Sha256Hasher {
            local: <sha2::Sha256 as sha2::Digest>::new(),
        }
    }

    /// Adds `data` to the hash.
    pub fn update(&mut self, data: &[u8]) {
        sha2::Digest::update(&mut self.local, data);
    }

    /// The digest of everything added so far (more may be added after).
    pub fn digest(&mut self) -> [u8; 32] {
        sha2::Digest::finalize(self.local.clone()).into()
    }
}

/// The SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256Hasher::new();
    hasher.update(bytes);
    hasher.digest()
}
