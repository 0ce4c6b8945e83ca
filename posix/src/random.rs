//! Randomness from the kernel.

use std::io;

/// Fills `out` with random bytes from the kernel (`getrandom(2)`).
///
/// # Panics
/// When the kernel has no `getrandom` (Linux before 3.17): callers use
/// these bytes for identifiers, where predictable ones would be a bug.
pub fn random_bytes(out: &mut [u8]) {
    if let Err(error) = fill_random(out) {
        panic!("getrandom failed: {error}");
    }
}

/// Fills `out` from `getrandom(2)`, retrying interrupted and short calls.
pub(crate) fn fill_random(out: &mut [u8]) -> io::Result<()> {
    let mut filled = 0;
    while filled < out.len() {
        match rustix::rand::getrandom(&mut out[filled..], rustix::rand::GetRandomFlags::empty()) {
            Ok(count) => filled += count,
            Err(rustix::io::Errno::INTR) => {}
            Err(errno) => return Err(errno.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_bytes_fill_the_whole_buffer() {
        // 4 KiB of zeros from a working source has probability 2^-32768.
        let mut buffer = vec![0u8; 4096];
        random_bytes(&mut buffer);
        assert!(buffer.iter().any(|&b| b != 0));
        assert_ne!(buffer[4000..], [0u8; 96]);
    }
}
