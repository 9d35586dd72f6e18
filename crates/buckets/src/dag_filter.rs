//! Admitting the blocks of one DAG as they arrive from a stranger, in an order where every
//! block comes after a block that links to it (a CAR in DFS or BFS order, as Kubo's `dag
//! export` and trustless gateways send it).
//!
//! The filter keeps the *frontier*: CIDs linked from admitted blocks and not yet received. A
//! block is admitted only if it is the root or on the frontier; its links then join the
//! frontier. So a response that carries blocks the requested DAG does not reach (padding, a
//! different DAG, a block linked only from a later block) is refused at the first such block,
//! and once the stream ends the frontier is exactly what is still missing. Memory is the
//! frontier plus one multihash per block received (to tell a repeated block from a stray one).

use std::collections::HashSet;

use cid::Cid;
use ipfs_kit_ipld::{LinkLimits, links_with};
use multihash::Multihash;

use crate::error::BucketError;

/// Identity CIDs carry their bytes in the CID: nothing to fetch for them.
const IDENTITY: u64 = 0x00;

/// What [`DagFilter::admit`] made of a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The first time this block arrived: store it.
    New,
    /// Seen before in this stream (`dups=y`): nothing to do.
    Repeat,
}

#[derive(Debug)]
pub struct DagFilter {
    root: Cid,
    /// Linked and not yet received, by multihash (as the store keys blocks), with the CID
    /// they were first linked by, to name them.
    frontier: std::collections::HashMap<Multihash<64>, Cid>,
    received: HashSet<Multihash<64>>,
    limits: LinkLimits,
    /// Most blocks admitted; a bound on `received`.
    max_blocks: u64,
}

impl DagFilter {
    pub fn new(root: Cid, max_blocks: u64) -> Self {
        let mut frontier = std::collections::HashMap::new();
        if root.hash().code() != IDENTITY {
            frontier.insert(*root.hash(), root);
        }
        DagFilter { root, frontier, received: HashSet::new(), limits: LinkLimits::default(), max_blocks }
    }

    /// Admits `cid` (its bytes already checked against it) or says why it does not belong.
    /// `offset` names the block's place in the response for the error.
    pub fn admit(&mut self, cid: &Cid, bytes: &[u8], offset: u64) -> Result<Admission, BucketError> {
        let mh = *cid.hash();
        if self.frontier.remove(&mh).is_none() {
            if self.received.contains(&mh) {
                return Ok(Admission::Repeat);
            }
            return Err(BucketError::NotInDag { cid: *cid, root: self.root, offset });
        }
        if self.received.len() as u64 >= self.max_blocks {
            return Err(BucketError::TooManyBlocks { root: self.root, limit: self.max_blocks });
        }
        self.received.insert(mh);
        let linked = links_with(cid, bytes, &self.limits)
            .map_err(|source| BucketError::BadBlock { cid: *cid, reason: source.to_string() })?;
        for link in linked {
            let link_mh = *link.hash();
            if link.hash().code() != IDENTITY && !self.received.contains(&link_mh) {
                self.frontier.entry(link_mh).or_insert(link);
            }
        }
        Ok(Admission::New)
    }

    /// Blocks linked but not received: empty when the DAG arrived whole.
    pub fn missing(&self) -> Vec<Cid> {
        let mut missing: Vec<Cid> = self.frontier.values().copied().collect();
        missing.sort_by_key(|c| c.to_bytes());
        missing
    }

    pub fn received(&self) -> u64 {
        self.received.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipfs_kit_unixfs::block::{RAW, sha256_cid};
    use ipfs_kit_unixfs::pb::{PbLink, PbNode};

    fn raw(data: &[u8]) -> (Cid, Vec<u8>) {
        (sha256_cid(1, RAW, data), data.to_vec())
    }

    fn node(children: &[&Cid]) -> (Cid, Vec<u8>) {
        let links = children.iter().map(|c| PbLink { cid: **c, name: Some(String::new()), tsize: Some(1) }).collect();
        let bytes = PbNode { links, data: None }.encode();
        (sha256_cid(1, 0x70, &bytes), bytes)
    }

    #[test]
    fn a_whole_dag_in_parent_first_order_is_admitted_and_nothing_is_missing() {
        let (a, a_bytes) = raw(b"a");
        let (b, b_bytes) = raw(b"b");
        let (root, root_bytes) = node(&[&a, &b, &a]);
        let mut filter = DagFilter::new(root, 100);
        assert_eq!(filter.admit(&root, &root_bytes, 0).unwrap(), Admission::New);
        assert_eq!(filter.missing().len(), 2, "a linked twice is one missing block");
        assert_eq!(filter.admit(&a, &a_bytes, 1).unwrap(), Admission::New);
        assert_eq!(filter.admit(&a, &a_bytes, 2).unwrap(), Admission::Repeat);
        assert_eq!(filter.missing(), vec![b]);
        assert_eq!(filter.admit(&b, &b_bytes, 3).unwrap(), Admission::New);
        assert!(filter.missing().is_empty());
        assert_eq!(filter.received(), 3);
    }

    #[test]
    fn a_block_the_dag_does_not_reach_is_refused_with_its_offset() {
        let (a, _) = raw(b"a");
        let (stray, stray_bytes) = raw(b"stray");
        let (root, root_bytes) = node(&[&a]);
        let mut filter = DagFilter::new(root, 100);
        // Before the root, even a block of the DAG is not reachable yet.
        let err = filter.admit(&a, b"a", 0).unwrap_err();
        assert!(matches!(err, BucketError::NotInDag { offset: 0, .. }), "{err}");
        filter.admit(&root, &root_bytes, 10).unwrap();
        let err = filter.admit(&stray, &stray_bytes, 77).unwrap_err();
        assert!(matches!(err, BucketError::NotInDag { cid, offset: 77, .. } if cid == stray), "{err}");
    }

    #[test]
    fn the_block_bound_holds() {
        let (a, a_bytes) = raw(b"a");
        let (root, root_bytes) = node(&[&a]);
        let mut filter = DagFilter::new(root, 1);
        filter.admit(&root, &root_bytes, 0).unwrap();
        assert!(matches!(filter.admit(&a, &a_bytes, 1), Err(BucketError::TooManyBlocks { limit: 1, .. })));
    }
}
