//! What the component asks of its environment besides files: randomness and
//! the wall clock (both WASI imports).

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
