//! A global allocator that forwards to the system allocator and, on a
//! thread that armed it, records the largest single allocation: the
//! harness's check that no declared size (a tar size field, a PAX length, a
//! compressed stream's window) turns into an allocation of that size.
//!
//! This is the only unsafe code of the harness: the `GlobalAlloc` impl,
//! which forwards every call unchanged to [`System`].

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write;

/// Largest single allocation a case may cause; a case above it fails.
pub const ALLOCATION_LIMIT: usize = 64 << 20;

/// Above this, an allocation on an armed thread is refused (the process
/// then aborts with Rust's allocation-failure message), so that a hostile
/// size cannot exhaust the shared machine's memory before the case ends.
const HARD_LIMIT: usize = 1 << 30;

thread_local! {
    /// The case being run on this thread, while tracking is armed.
    static CASE: Cell<Option<(&'static str, u64)>> = const { Cell::new(None) };
    /// The largest allocation since the thread armed tracking.
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

/// The tracking allocator (installed in `main.rs`).
pub struct Tracking;

/// Records an allocation of `size` bytes; `false` if it must be refused.
fn note(size: usize) -> bool {
    let Ok(Some(case)) = CASE.try_with(Cell::get) else {
        return true;
    };
    let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
    if size <= HARD_LIMIT {
        return true;
    }
    // Straight to file descriptor 2 (not the test's captured output):
    // nothing here allocates.
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut value = size;
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    let mut stderr = std::io::stderr();
    let _ = stderr.write_all(b"graphstore fuzz: target `");
    let _ = stderr.write_all(case.0.as_bytes());
    let _ = stderr.write_all(b"` tried to allocate ");
    let _ = stderr.write_all(&digits[at..]);
    let _ = stderr.write_all(b" bytes in one piece (replay the case with GRAPHSTORE_FUZZ_CASE)\n");
    false
}

// SAFETY: every method forwards to `System` with the caller's arguments,
// or returns null (allowed for `alloc`, `alloc_zeroed` and `realloc`).
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !note(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract for `alloc` is `System.alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !note(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !note(new_size) {
            return std::ptr::null_mut();
        }
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Tracking armed on the current thread for one case; disarmed on drop.
pub struct Armed(());

impl Armed {
    /// Arms tracking for case `index` of `target`.
    pub fn new(target: &'static str, index: u64) -> Self {
        LARGEST.with(|largest| largest.set(0));
        CASE.with(|case| case.set(Some((target, index))));
        Armed(())
    }

    /// The largest single allocation since [`Armed::new`].
    pub fn largest(&self) -> usize {
        LARGEST.with(Cell::get)
    }
}

impl Drop for Armed {
    fn drop(&mut self) {
        CASE.with(|case| case.set(None));
    }
}
