//! `_native.Reader`: positioned reads of one file of a bucket, every block checked against its
//! CID. The Python layer wraps it in `io.BufferedReader` (`Bucket.open`).
//!
//! The file is pinned by CID when opened, so a later change to the bucket does not change what
//! an open reader reads. Each read walks from the file's root to the offset
//! (`FileReader::starting_at`): a few inner blocks per read, which a 1 MiB buffer makes
//! negligible, and no state to keep between calls.

use std::io::Read;
use std::sync::Mutex;

use cid::Cid;
use ipfs_kit_blockstore::BlockStore;
use ipfs_kit_unixfs::{DagReader, EntryKind};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::{Error, corrupt, invalid};
use crate::home::{Home, detached};

#[pyclass(frozen, module = "ipfs_kit._native")]
pub struct Reader {
    store: Mutex<BlockStore>,
    cid: Cid,
    /// The file's size, from the catalog; reads stop there.
    #[pyo3(get)]
    size: u64,
    /// `bucket:path`, for messages and `name`.
    #[pyo3(get)]
    name: String,
}

impl Reader {
    pub(crate) fn open(home: &Home, bucket: &str, path: &str) -> Result<Reader, Error> {
        let buckets = home.read("ipfs_kit Bucket.open")?;
        let entry = buckets.entry(bucket, path)?;
        if entry.kind != EntryKind::File {
            return Err(invalid(format!("{:?} in bucket {bucket:?} is not a file", entry.path)));
        }
        Ok(Reader {
            store: Mutex::new(buckets.into_store()),
            cid: entry.cid,
            size: entry.size,
            name: format!("{bucket}:{}", entry.path),
        })
    }
}

#[pymethods]
impl Reader {
    /// Up to `n` bytes from byte `pos` (fewer only at the end of the file). The bytes object
    /// is filled in place with the GIL released: no second buffer, no copy.
    fn read<'py>(&self, py: Python<'py>, pos: u64, n: usize) -> PyResult<Bound<'py, PyBytes>> {
        let want = usize::try_from(self.size.saturating_sub(pos)).unwrap_or(usize::MAX).min(n);
        PyBytes::new_with(py, want, |buf| detached(py, || self.fill(pos, buf)))
    }
}

impl Reader {
    /// Fills `buf` with the file's bytes from `pos`, every block checked.
    fn fill(&self, pos: u64, buf: &mut [u8]) -> Result<(), Error> {
        if buf.is_empty() {
            return Ok(());
        }
        // A panic in another read leaves nothing half-done in the store handle: carry on.
        let store = self.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut reader = DagReader::new(&*store).cat(&self.cid)?.starting_at(pos);
        let mut filled = 0;
        while filled < buf.len() {
            let k = reader.read(&mut buf[filled..]).map_err(|e| unwrap_read_error(e, &self.name))?;
            if k == 0 {
                return Err(corrupt(format!(
                    "{}: the file's DAG ends at byte {}, the catalog says {} bytes",
                    self.name,
                    pos + filled as u64,
                    self.size
                )));
            }
            filled += k;
        }
        Ok(())
    }
}

/// `FileReader` reports a bad block as an `io::Error` wrapping the `ReadError`; unwrap it so
/// the exception class comes from the `ReadError` (a hash mismatch is `Corrupt`).
fn unwrap_read_error(e: std::io::Error, name: &str) -> Error {
    match e.into_inner() {
        Some(inner) => inner,
        None => corrupt(format!("{name}: the read failed")),
    }
}
