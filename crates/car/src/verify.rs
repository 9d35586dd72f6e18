//! Block verification: a block is only handed out once its bytes are proven to match its CID.
//!
//! Only sha2-256 (what IPFS, ipfs-car and this project produce) and identity are checked. Any
//! other hash is refused rather than passed through unverified, because a caller iterating a CAR
//! from an untrusted source must be able to rely on every block it receives.

use cid::Cid;
use sha2::{Digest, Sha256};

/// Multihash code of the identity "hash" (the digest is the data itself).
pub(crate) const IDENTITY: u64 = 0x00;
/// Multihash code of sha2-256.
pub(crate) const SHA2_256: u64 = 0x12;

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Mismatch {
    /// The data does not hash to the digest.
    Digest,
    /// The hash function (or a truncated sha2-256) cannot be recomputed here.
    Unsupported { code: u64, size: u8 },
}

pub(crate) fn verify(cid: &Cid, data: &[u8]) -> Result<(), Mismatch> {
    let mh = cid.hash();
    let matches = match (mh.code(), mh.size()) {
        (IDENTITY, _) => mh.digest() == data,
        (SHA2_256, 32) => Sha256::digest(data).as_slice() == mh.digest(),
        (code, size) => return Err(Mismatch::Unsupported { code, size }),
    };
    if matches { Ok(()) } else { Err(Mismatch::Digest) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::raw_cid;
    use multihash::Multihash;

    #[test]
    fn checks_sha256_and_identity() {
        assert_eq!(verify(&raw_cid(b"abc"), b"abc"), Ok(()));
        assert_eq!(verify(&raw_cid(b"abc"), b"abd"), Err(Mismatch::Digest));
        let id = Cid::new_v1(0x55, Multihash::wrap(IDENTITY, b"inline").unwrap());
        assert_eq!(verify(&id, b"inline"), Ok(()));
        assert_eq!(verify(&id, b"inlinE"), Err(Mismatch::Digest));
        let blake3 = Cid::new_v1(0x55, Multihash::wrap(0x1e, &[0; 32]).unwrap());
        assert_eq!(verify(&blake3, b""), Err(Mismatch::Unsupported { code: 0x1e, size: 32 }));
        let truncated = Cid::new_v1(0x55, Multihash::wrap(SHA2_256, &[0; 20]).unwrap());
        assert_eq!(verify(&truncated, b""), Err(Mismatch::Unsupported { code: 0x12, size: 20 }));
    }
}
