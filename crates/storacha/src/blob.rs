//! A blob (a CAR shard or an index) as the upload service names it, and the `http/put` key
//! the JS client derives from it.
//!
//! upload-api makes the `http/put` task's issuer `ed25519.derive(sha256(blob))`: whoever has
//! the bytes can sign the receipt that says they were PUT. So the seed is the raw digest.

use cid::Cid;
use multihash::Multihash;
use sha2::{Digest, Sha256};

use crate::key::Signer;
use crate::receipt::Receipt;
use crate::value::{Value, sha256_multihash};

/// Multicodec of a CAR.
pub const CAR: u64 = 0x0202;
const RAW: u64 = 0x55;

/// A blob's sha2-256 digest and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobDigest {
    pub sha256: [u8; 32],
    pub size: u64,
}

impl BlobDigest {
    pub fn of(bytes: &[u8]) -> BlobDigest {
        BlobDigest { sha256: Sha256::digest(bytes).into(), size: bytes.len() as u64 }
    }

    pub fn multihash(&self) -> Multihash<64> {
        sha256_multihash(&self.sha256)
    }

    /// The shard link `upload/add` and `space/index/add` take (`bagbaiera…`).
    pub fn car_cid(&self) -> Cid {
        Cid::new_v1(CAR, self.multihash())
    }

    /// The content CID `filecoin/offer` takes (`bafkrei…`).
    pub fn raw_cid(&self) -> Cid {
        Cid::new_v1(RAW, self.multihash())
    }

    /// `{digest, size}` as `space/blob/add` and `http/put` carry it.
    pub fn to_value(&self) -> Value {
        Value::map([("digest", Value::Bytes(self.multihash().to_bytes())), ("size", Value::Int(self.size.into()))])
    }

    /// The key that issues the `http/put` task for this blob.
    pub fn put_signer(&self) -> Signer {
        Signer::from_seed(self.sha256)
    }

    /// The receipt that concludes the `http/put` task `put_task`: `{ok: {}}`, signed by
    /// [`BlobDigest::put_signer`].
    pub fn put_receipt(&self, put_task: Cid) -> Receipt {
        Receipt::issue(&self.put_signer(), put_task, Value::map::<String>([]))
    }
}
