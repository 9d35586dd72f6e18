//! The output of a pack being written: appends go to a buffer, full buffers to a thread that
//! writes them to the file, past the page cache where the file system allows it.
//!
//! Copying a GiB into the page cache costs this VM 0.6–0.9 s of kernel time (a profile of
//! `bucket add` showed more time in that copy than in all its SHA-256), and the fsync at the end
//! then waits for the whole GiB to reach the disk. So:
//! - the write runs on a thread of its own, beside the hashing, not after it on the import
//!   thread;
//! - full buffers (4 MiB, at 4096-aligned addresses and file offsets) are written with
//!   `O_DIRECT`: the disk reads them from our memory, with no copy into the page cache, and the
//!   final fsync finds the data already written;
//! - where `O_DIRECT` is refused (tmpfs and some other file systems, or an odd block size) and
//!   for the last, partial buffer, the write is buffered as before, and
//!   `sync_file_range(SYNC_FILE_RANGE_WRITE)` every 16 MiB starts its writeback early (the
//!   kernel's own would wait until a tenth of memory is dirty).
//!
//! Durability is unchanged: neither path promises anything before fsync, and a pack is used
//! only once `finish` (flush, join) returned and the caller fsynced the file.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};

/// Bytes gathered before a buffer goes to the writing thread; a multiple of every block size.
const BUFFER: usize = 4 << 20;
/// Alignment of a direct write's memory and file offset (the largest common block size).
const ALIGN: usize = 4096;
/// Buffers in all: one filling, the others queued or being written. Bounds the memory.
const BUFFERS: usize = 4;
/// Buffered bytes after which their writeback is started.
const WRITEBACK_EVERY: u64 = 16 << 20;

/// Up to `BUFFER` bytes at an `ALIGN`ed address, carved out of a slightly larger allocation.
/// The allocation is not zeroed: bytes are appended, so only what was written is ever touched.
/// (Zeroing 4 MiB per buffer, four buffers per pack, was most of the CPU of a server that
/// commits a small pack per request.)
struct Buffer {
    storage: Vec<u8>,
    start: usize,
}

impl Buffer {
    fn new() -> Self {
        let mut storage: Vec<u8> = Vec::with_capacity(BUFFER + ALIGN);
        let start = storage.as_ptr().align_offset(ALIGN);
        storage.resize(start, 0);
        Buffer { storage, start }
    }

    fn len(&self) -> usize {
        self.storage.len() - self.start
    }

    /// Appends as much of `bytes` as fits; returns how much that was.
    fn push(&mut self, bytes: &[u8]) -> usize {
        let take = bytes.len().min(BUFFER - self.len());
        self.storage.extend_from_slice(&bytes[..take]);
        take
    }

    fn bytes(&self) -> &[u8] {
        &self.storage[self.start..]
    }

    fn is_full(&self) -> bool {
        self.len() == BUFFER
    }

    fn clear(&mut self) {
        self.storage.truncate(self.start);
    }
}

pub(crate) struct PackOut {
    current: Buffer,
    full: Option<SyncSender<Buffer>>,
    empty: Receiver<Buffer>,
    /// Buffers made so far: more are made only while a pack outgrows them (a small pack, as
    /// most of a server's are, never needs a second).
    made: usize,
    worker: Option<JoinHandle<io::Result<File>>>,
}

impl PackOut {
    /// Starts writing `file` (empty, at offset 0); `direct` allows `O_DIRECT` writes.
    pub fn new(file: File, direct: bool) -> Self {
        let (full, to_write) = sync_channel::<Buffer>(BUFFERS);
        let (give_back, empty) = sync_channel::<Buffer>(BUFFERS);
        let mut sink = FileSink { file, direct: false, written: 0, writeback_from: 0 };
        if direct {
            sink.set_direct(true);
        }
        let worker = std::thread::Builder::new()
            .name("pack-writer".into())
            .spawn(move || sink.write_all_buffers(to_write, give_back))
            .expect("starting the pack writing thread");
        PackOut { current: Buffer::new(), full: Some(full), empty, made: 1, worker: Some(worker) }
    }

    pub fn write_all(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            let took = self.current.push(bytes);
            bytes = &bytes[took..];
            if self.current.is_full() {
                self.hand_over()?;
            }
        }
        Ok(())
    }

    /// Sends the current buffer to the writer and takes an empty one back.
    fn hand_over(&mut self) -> io::Result<()> {
        let empty = match self.empty.try_recv() {
            Ok(buffer) => buffer,
            Err(_) if self.made < BUFFERS => {
                self.made += 1;
                Buffer::new()
            }
            Err(_) => match self.empty.recv() {
                Ok(buffer) => buffer,
                Err(_) => return Err(self.writer_error()),
            },
        };
        let buffer = std::mem::replace(&mut self.current, empty);
        if self.full.as_ref().is_some_and(|f| f.send(buffer).is_ok()) { Ok(()) } else { Err(self.writer_error()) }
    }

    /// Writes what is buffered, waits for the writer and returns the file, not yet fsynced.
    pub fn finish(mut self) -> io::Result<File> {
        if self.current.len() > 0 {
            let buffer = std::mem::replace(&mut self.current, Buffer { storage: Vec::new(), start: 0 });
            if let Some(full) = &self.full {
                let _ = full.send(buffer);
            }
        }
        self.stop()
    }

    /// Why the writer stopped early (it failed; its error is the one to report).
    fn writer_error(&mut self) -> io::Error {
        self.stop().err().unwrap_or_else(|| io::Error::other("the pack writing thread stopped"))
    }

    fn stop(&mut self) -> io::Result<File> {
        drop(self.full.take());
        match self.worker.take() {
            Some(worker) => worker.join().unwrap_or_else(|_| Err(io::Error::other("the pack writing thread panicked"))),
            None => Err(io::Error::other("the pack writing thread stopped")),
        }
    }
}

impl Drop for PackOut {
    fn drop(&mut self) {
        if self.worker.is_some() {
            let _ = self.stop();
        }
    }
}

/// The writing thread's side.
struct FileSink {
    file: File,
    /// Whether the file is open with `O_DIRECT` now.
    direct: bool,
    written: u64,
    /// Where the buffered bytes whose writeback was not started yet begin.
    writeback_from: u64,
}

impl FileSink {
    fn write_all_buffers(mut self, to_write: Receiver<Buffer>, give_back: SyncSender<Buffer>) -> io::Result<File> {
        for mut buffer in to_write {
            self.write(&buffer)?;
            buffer.clear();
            // The other side may be finishing and no longer take buffers back.
            let _ = give_back.try_send(buffer);
        }
        Ok(self.file)
    }

    fn write(&mut self, buffer: &Buffer) -> io::Result<()> {
        let mut rest = buffer.bytes();
        // A direct write must cover whole blocks: the last, partial buffer goes through the
        // page cache. So does everything after a direct write the file system refused or cut
        // short (the offset would no longer be aligned).
        if self.direct && !buffer.is_full() {
            self.set_direct(false);
        }
        if self.direct {
            match (&self.file).write(rest) {
                Ok(n) => {
                    self.written += n as u64;
                    self.writeback_from = self.written;
                    rest = &rest[n..];
                    if !rest.is_empty() {
                        self.set_direct(false);
                    }
                }
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) || e.kind() == io::ErrorKind::Interrupted => {
                    self.set_direct(false);
                }
                Err(e) => return Err(e),
            }
        }
        if rest.is_empty() {
            return Ok(());
        }
        (&self.file).write_all(rest)?;
        self.written += rest.len() as u64;
        if self.written - self.writeback_from >= WRITEBACK_EVERY {
            start_writeback(&self.file, self.writeback_from, self.written - self.writeback_from);
            self.writeback_from = self.written;
        }
        Ok(())
    }

    /// Turns `O_DIRECT` on or off; where the file system refuses it, writes stay buffered.
    fn set_direct(&mut self, on: bool) {
        let Ok(flags) = fcntl_getfl(&self.file) else {
            self.direct = false;
            return;
        };
        let flags = if on { flags | OFlags::DIRECT } else { flags - OFlags::DIRECT };
        let set = fcntl_setfl(&self.file, flags).is_ok();
        self.direct = on && set;
    }
}

/// Asks the kernel to start writing `len` bytes at `offset` to the disk, without waiting.
/// Only a hint: where it is unsupported, the final fsync does all the work.
fn start_writeback(file: &File, offset: u64, len: u64) {
    // SAFETY: sync_file_range only reads its integer arguments; the descriptor is open and
    // owned by `file` for the duration of the call.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset as i64, len as i64, libc::SYNC_FILE_RANGE_WRITE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Writes `pieces` through a PackOut and returns what the file holds.
    fn round_trip(dir: &std::path::Path, direct: bool, pieces: &[Vec<u8>]) -> Vec<u8> {
        let path = dir.join(format!("p-{direct}"));
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path).unwrap();
        let mut out = PackOut::new(file, direct);
        for p in pieces {
            out.write_all(p).unwrap();
        }
        out.finish().unwrap().sync_all().unwrap();
        let mut back = Vec::new();
        File::open(&path).unwrap().read_to_end(&mut back).unwrap();
        back
    }

    #[test]
    fn every_byte_arrives_in_order_direct_or_not() {
        let dir = tempfile::tempdir().unwrap();
        // Odd sizes cross buffer boundaries at unaligned places; the total is not a multiple
        // of the block size, so the tail takes the buffered path after direct writes.
        let mut seed = 7u32;
        let pieces: Vec<Vec<u8>> = [5, 4 << 20, 1, 3 << 20, 1_000_003, 9 << 20, 17, 4096]
            .iter()
            .map(|&n| {
                (0..n)
                    .map(|_| {
                        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                        (seed >> 24) as u8
                    })
                    .collect()
            })
            .collect();
        let expected = pieces.concat();
        for direct in [true, false] {
            let got = round_trip(dir.path(), direct, &pieces);
            assert_eq!(got.len(), expected.len(), "direct {direct}");
            assert!(got == expected, "direct {direct}: bytes differ");
        }
    }

    #[test]
    fn nothing_written_gives_an_empty_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(round_trip(dir.path(), true, &[]).is_empty());
    }

    #[test]
    fn a_failing_write_is_reported() {
        // /dev/full refuses every write with ENOSPC: the error reaches the appender or finish.
        let Ok(file) = std::fs::OpenOptions::new().write(true).open("/dev/full") else { return };
        let mut out = PackOut::new(file, false);
        let big = vec![1u8; BUFFER * 4];
        let early = out.write_all(&big);
        let late = out.finish();
        let err = early.err().or(late.err()).expect("ENOSPC reported");
        assert_eq!(err.raw_os_error(), Some(libc::ENOSPC), "{err}");
    }
}
