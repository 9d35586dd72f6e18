//! CID helpers shared by the unit tests.

use cid::Cid;
use multihash::Multihash;
use sha2::{Digest, Sha256};

pub(crate) const RAW: u64 = 0x55;
pub(crate) const DAG_PB: u64 = 0x70;

fn sha256_mh(data: &[u8]) -> Multihash<64> {
    Multihash::wrap(0x12, &Sha256::digest(data)).unwrap()
}

pub(crate) fn raw_cid(data: &[u8]) -> Cid {
    Cid::new_v1(RAW, sha256_mh(data))
}

pub(crate) fn pb_cid(data: &[u8]) -> Cid {
    Cid::new_v1(DAG_PB, sha256_mh(data))
}

pub(crate) fn cid_v0(data: &[u8]) -> Cid {
    Cid::new_v0(sha256_mh(data)).unwrap()
}

pub(crate) fn identity_cid(data: &[u8]) -> Cid {
    Cid::new_v1(RAW, Multihash::wrap(0x00, data).unwrap())
}
