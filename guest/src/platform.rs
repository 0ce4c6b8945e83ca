//! What the component asks of its environment besides files: randomness and
//! the wall clock (WASI imports), and SHA-256 (the host's `hashing`).

use crate::format::timestamp::Timestamp;

/// `N` bytes from the host's cryptographically secure random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let bytes = wasip2::random::random::get_random_bytes(N as u64);
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[..N]);
    out
}

/// The current time in UTC.
pub fn now() -> Timestamp {
    let now = wasip2::clocks::wall_clock::now();
    Timestamp::utc(now.seconds as i64, now.nanoseconds)
}

/// A running SHA-256. Inside the component the host computes it (with the
/// CPU's SHA instructions, which WebAssembly lacks); data is handed over in
/// large batches so small updates (tar headers) cost no host call each.
/// Native builds (unit tests) hash in place.
pub struct Sha256Hasher {
    #[cfg(target_arch = "wasm32")]
    host: crate::bindings::graphstore::store::hashing::Sha256,
    #[cfg(target_arch = "wasm32")]
    pending: Vec<u8>,
    #[cfg(not(target_arch = "wasm32"))]
    local: sha2::Sha256,
}

/// Bytes collected before they are handed to the host hasher.
#[cfg(target_arch = "wasm32")]
const HASH_BATCH: usize = 256 * 1024;

impl Default for Sha256Hasher {
    fn default() -> Self {
        Self::new()
    }
}

impl Sha256Hasher {
    /// An empty hash.
    pub fn new() -> Self {
        Sha256Hasher {
            #[cfg(target_arch = "wasm32")]
            host: crate::bindings::graphstore::store::hashing::Sha256::new(),
            #[cfg(target_arch = "wasm32")]
            pending: Vec::new(),
            #[cfg(not(target_arch = "wasm32"))]
            local: <sha2::Sha256 as sha2::Digest>::new(),
        }
    }

    /// Adds `data` to the hash.
    pub fn update(&mut self, data: &[u8]) {
        #[cfg(target_arch = "wasm32")]
        {
            if self.pending.is_empty() && data.len() >= HASH_BATCH {
                self.host.update(data);
                return;
            }
            self.pending.extend_from_slice(data);
            if self.pending.len() >= HASH_BATCH {
                self.flush();
            }
        }
        #[cfg(not(target_arch = "wasm32"))]
        sha2::Digest::update(&mut self.local, data);
    }

    #[cfg(target_arch = "wasm32")]
    fn flush(&mut self) {
        if !self.pending.is_empty() {
            self.host.update(&self.pending);
            self.pending.clear();
        }
    }

    /// The digest of everything added so far (more may be added after).
    pub fn digest(&mut self) -> [u8; 32] {
        #[cfg(target_arch = "wasm32")]
        {
            self.flush();
            let bytes = self.host.digest();
            let mut out = [0u8; 32];
            out.copy_from_slice(&bytes[..32]);
            out
        }
        #[cfg(not(target_arch = "wasm32"))]
        sha2::Digest::finalize(self.local.clone()).into()
    }
}

/// The SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256Hasher::new();
    hasher.update(bytes);
    hasher.digest()
}
