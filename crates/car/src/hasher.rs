//! The CID of a whole CAR file, as `ipfs-car hash` prints it.
//!
//! Hashing while writing (instead of re-reading the file) lets a CAR streamed to stdout or an
//! upload still be named by its CID, e.g. to check a remote's receipt for a shard.

use std::io::{self, Write};

use cid::Cid;
use multihash::Multihash;
use sha2::{Digest, Sha256};

use ipfs_kit_ipld::hash::SHA2_256;

/// The `car` multicodec: the CID codec for a CAR file as a whole.
pub const CAR_CODEC: u64 = 0x0202;

/// CIDv1 with the `car` codec over a sha2-256 digest of the file's bytes.
pub fn car_cid(sha256: [u8; 32]) -> Cid {
    Cid::new_v1(CAR_CODEC, Multihash::wrap(SHA2_256, &sha256).expect("32-byte digest fits"))
}

/// A `Write` adapter that hashes exactly the bytes the inner writer accepted.
///
/// Use `CarHasher::new(io::sink())` to only compute the CID.
pub struct CarHasher<W> {
    inner: W,
    hasher: Sha256,
    len: u64,
}

impl<W: Write> CarHasher<W> {
    pub fn new(inner: W) -> Self {
        Self { inner, hasher: Sha256::new(), len: 0 }
    }

    /// Bytes hashed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Returns the inner writer and the CAR CID of everything written.
    pub fn finish(self) -> (W, Cid) {
        (self.inner, car_cid(self.hasher.finalize().into()))
    }
}

impl<W: Write> Write for CarHasher<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Like [`CarHasher`], but the hashing runs on a thread of its own: bytes go to the inner
/// writer at once and a copy goes, in 1 MiB pieces, to the hashing thread. For a large export
/// whose blocks are also being verified, this takes the CAR's own hash (a second pass of
/// SHA-256 over every byte) off the writing thread.
pub struct ThreadedCarHasher<W> {
    inner: W,
    pending: Vec<u8>,
    sender: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
    worker: Option<std::thread::JoinHandle<[u8; 32]>>,
    len: u64,
}

/// Bytes handed to the hashing thread at a time.
const PIECE: usize = 1 << 20;

impl<W: Write> ThreadedCarHasher<W> {
    pub fn new(inner: W) -> Self {
        // A few pieces in flight bound the memory; the writer waits if hashing falls behind.
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<u8>>(8);
        let worker = std::thread::spawn(move || {
            let mut hasher = Sha256::new();
            for piece in receiver {
                hasher.update(&piece);
            }
            hasher.finalize().into()
        });
        Self { inner, pending: Vec::with_capacity(PIECE), sender: Some(sender), worker: Some(worker), len: 0 }
    }

    fn send_pending(&mut self) {
        let piece = std::mem::replace(&mut self.pending, Vec::with_capacity(PIECE));
        // The receiver lives until `finish` drops the sender, so a send cannot fail first.
        let _ = self.sender.as_ref().expect("sender until finish").send(piece);
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Returns the inner writer and the CAR CID of everything written.
    pub fn finish(mut self) -> (W, Cid) {
        if !self.pending.is_empty() {
            self.send_pending();
        }
        drop(self.sender.take());
        let digest = self.worker.take().expect("worker until finish").join().expect("the hashing thread panicked");
        (self.inner, car_cid(digest))
    }
}

impl<W: Write> Write for ThreadedCarHasher<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        let mut rest = &buf[..n];
        while !rest.is_empty() {
            let take = rest.len().min(PIECE - self.pending.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == PIECE {
                self.send_pending();
            }
        }
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cid_of_empty_input() {
        // sha2-256("") = e3b0c442..., wrapped as CIDv1 car.
        let (_, cid) = CarHasher::new(io::sink()).finish();
        assert_eq!(cid.codec(), 0x0202);
        assert_eq!(cid.hash().code(), 0x12);
        assert_eq!(&cid.hash().digest()[..4], &[0xe3, 0xb0, 0xc4, 0x42]);
        assert_eq!(cid.to_bytes()[..5], [0x01, 0x82, 0x04, 0x12, 0x20]);
    }

    #[test]
    fn hashes_only_what_was_accepted() {
        /// Accepts at most 3 bytes per call.
        struct Dribble(Vec<u8>);
        impl Write for Dribble {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                let n = buf.len().min(3);
                self.0.extend_from_slice(&buf[..n]);
                Ok(n)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut h = CarHasher::new(Dribble(Vec::new()));
        h.write_all(b"hello world").unwrap();
        assert_eq!(h.len(), 11);
        let (inner, cid) = h.finish();
        assert_eq!(inner.0, b"hello world");
        assert_eq!(cid, car_cid(Sha256::digest(b"hello world").into()));
    }
}
