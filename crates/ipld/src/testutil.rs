//! Helpers for this crate's unit tests.

use cid::Cid;
use multihash::Multihash;
use sha2::{Digest, Sha256};

use crate::codec::DAG_PB;

/// The sha2-256 CID of `bytes`; version 0 only for dag-pb.
pub(crate) fn sha256_cid(version: u8, codec: u64, bytes: &[u8]) -> Cid {
    let mh = Multihash::wrap(0x12, &Sha256::digest(bytes)).unwrap();
    if version == 0 && codec == DAG_PB { Cid::new_v0(mh).unwrap() } else { Cid::new_v1(codec, mh) }
}
