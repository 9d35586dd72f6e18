//! The CID of a whole CAR file, as `ipfs-car hash` prints it.
//!
//! Hashing while writing (instead of re-reading the file) lets a CAR streamed to stdout or an
//! upload still be named by its CID, e.g. to check a remote's receipt for a shard.

use std::io::{self, Write};

use cid::Cid;
use multihash::Multihash;
use sha2::{Digest, Sha256};

use crate::verify::SHA2_256;

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
