//! The collection lock, which keeps `gc` from deleting blocks a writer is about to reference.
//!
//! A writer commits its file blocks before it takes the writer lock (so imports run in
//! parallel), which leaves a window in which those blocks are in the store but no bucket
//! references them yet. A writer therefore holds `gc.lock` *shared* from before its first block
//! until its catalog commit, and `gc` holds it *exclusively* while it marks and sweeps. Shared
//! holders never wait for each other.
//!
//! Lock order, everywhere: the collection lock first, then the writer lock. A writer waits for
//! `gc` before it takes the writer lock, and `gc` waits for writers before it does, so neither
//! can hold one lock while waiting for the other.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::StoreError;

/// Held (shared) by a writer while it has blocks nothing references yet.
#[derive(Debug)]
pub struct BlockPin {
    /// `None` on a read-only store, where no `gc` can run.
    _file: Option<File>,
}

/// Held (exclusively) by `gc`: no writer has unreferenced blocks in flight.
#[derive(Debug)]
pub struct CollectLock {
    _file: File,
}

fn open(path: &Path) -> Result<File, StoreError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|source| StoreError::Io { path: path.to_owned(), source })
}

/// Polls `try_lock` until it succeeds or `wait` runs out; `on_wait` is called once, when the
/// first attempt fails.
fn poll(
    path: &Path,
    wait: Duration,
    on_wait: &mut dyn FnMut(),
    mut attempt: impl FnMut() -> Result<(), std::fs::TryLockError>,
    busy: StoreError,
) -> Result<(), StoreError> {
    let deadline = Instant::now() + wait;
    let mut told = false;
    loop {
        match attempt() {
            Ok(()) => return Ok(()),
            Err(std::fs::TryLockError::WouldBlock) => {
                if Instant::now() >= deadline {
                    return Err(busy);
                }
                if !told {
                    on_wait();
                    told = true;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::Error(source)) => return Err(StoreError::Io { path: path.to_owned(), source }),
        }
    }
}

impl BlockPin {
    pub fn acquire(path: &Path, wait: Duration, on_wait: &mut dyn FnMut()) -> Result<Self, StoreError> {
        let file = open(path)?;
        poll(path, wait, on_wait, || file.try_lock_shared(), StoreError::Collecting)?;
        Ok(BlockPin { _file: Some(file) })
    }

    /// The pin of a read-only store: nothing to hold off.
    pub(crate) fn unneeded() -> Self {
        BlockPin { _file: None }
    }
}

impl CollectLock {
    pub fn acquire(path: &Path, wait: Duration, on_wait: &mut dyn FnMut()) -> Result<Self, StoreError> {
        let file = open(path)?;
        poll(path, wait, on_wait, || file.try_lock(), StoreError::WritersActive)?;
        Ok(CollectLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_share_and_exclude_the_collector() {
        let dir = std::env::temp_dir().join(format!("ipfs-kit-gclock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("gc.lock");
        let a = BlockPin::acquire(&path, Duration::ZERO, &mut || {}).unwrap();
        let b = BlockPin::acquire(&path, Duration::ZERO, &mut || {}).unwrap();
        let mut waited = false;
        let err = CollectLock::acquire(&path, Duration::from_millis(50), &mut || waited = true).unwrap_err();
        assert!(matches!(err, StoreError::WritersActive) && waited);
        drop((a, b));
        let gc = CollectLock::acquire(&path, Duration::ZERO, &mut || {}).unwrap();
        assert!(matches!(BlockPin::acquire(&path, Duration::ZERO, &mut || {}), Err(StoreError::Collecting)));
        drop(gc);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
