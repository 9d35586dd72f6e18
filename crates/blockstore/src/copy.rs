//! Copying a block's bytes from its pack straight into a file, without reading them into memory.
//!
//! A CAR export to a file is mostly raw leaves whose bytes sit contiguously in packs; copying
//! them in the kernel (`copy_file_range`) instead of reading and writing them through user space
//! takes a copy of every byte and a buffer per block off the export.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;

use cid::Cid;

use crate::error::StoreError;
use crate::store::{BlockAt, BlockStore};

/// Bytes moved per `copy_file_range` call at most; keeps one call's kernel time short.
const CHUNK: u64 = 16 << 20;

impl BlockStore {
    /// Appends the block's bytes to `out` at its current position and advances the position;
    /// returns how many bytes were copied, or `None` when the block is not stored. The bytes are
    /// not checked against the CID (as with [`get_block`](Self::get_block)).
    ///
    /// Anything buffered for `out` must be flushed first. Where the kernel cannot copy between
    /// the two files (another file system on old kernels, a special file), the bytes go through
    /// a small buffer instead.
    pub fn copy_block_to(&self, cid: &Cid, out: &File) -> Result<Option<u64>, StoreError> {
        let at = match self.locate(cid) {
            // As in `get_block`: gc may have moved the block between lookup and open.
            Err(StoreError::MissingPack { .. }) => {
                self.open_packs.lock().expect("pack cache lock").clear();
                self.locate(cid)?
            }
            other => other?,
        };
        let Some(at) = at else {
            return Ok(None);
        };
        let copied = copy_range(&at, out).map_err(|source| StoreError::Io { path: at.path.clone(), source })?;
        self.meter.block(copied);
        Ok(Some(copied))
    }
}

/// Copies `at` to `out`'s position; in the kernel where it can.
fn copy_range(at: &BlockAt, out: &File) -> io::Result<u64> {
    let mut offset = at.offset;
    let end = at.offset + at.len;
    while offset < end {
        let want = (end - offset).min(CHUNK) as usize;
        match rustix::fs::copy_file_range(&*at.file, Some(&mut offset), out, None, want) {
            // The pack is shorter than its index says: report it as a short block.
            Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "pack file ends inside the block")),
            Ok(_) => {}
            Err(e) if offset == at.offset && fallback(e) => return buffered(at, out),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(at.len)
}

/// Whether `copy_file_range` refused the pair of files as such (not an I/O failure).
fn fallback(e: rustix::io::Errno) -> bool {
    use rustix::io::Errno;
    [Errno::XDEV, Errno::NOSYS, Errno::INVAL, Errno::OPNOTSUPP, Errno::BADF].contains(&e)
}

/// The copy through user space, 1 MiB at a time.
fn buffered(at: &BlockAt, mut out: &File) -> io::Result<u64> {
    let mut buf = vec![0u8; (at.len as usize).min(1 << 20)];
    let mut offset = at.offset;
    let end = at.offset + at.len;
    while offset < end {
        let n = ((end - offset) as usize).min(buf.len());
        at.file.read_exact_at(&mut buf[..n], offset)?;
        out.write_all(&buf[..n])?;
        offset += n as u64;
    }
    Ok(at.len)
}
