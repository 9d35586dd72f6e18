//! Counters a long operation advances as it reads or writes blocks, for a progress display in
//! another thread to sample. Relaxed atomics: a display needs a recent value, not an exact one,
//! and counting must cost nothing next to hashing a block.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Meter {
    bytes: AtomicU64,
    blocks: AtomicU64,
}

impl Meter {
    /// Counts one block of `bytes` bytes.
    pub fn block(&self, bytes: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.blocks.fetch_add(1, Ordering::Relaxed);
    }

    /// (bytes, blocks) counted so far.
    pub fn sample(&self) -> (u64, u64) {
        (self.bytes.load(Ordering::Relaxed), self.blocks.load(Ordering::Relaxed))
    }
}
