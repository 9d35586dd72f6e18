//! `check`'s walk of a DAG for blocks that are missing or damaged, in memory flat in the number
//! of blocks and with the block index read in order.
//!
//! `Marker` (for `gc`) remembers every block it reaches; `check` needs only the bad ones, and a
//! home of a million small files is a million raw leaves under ten thousand directories. So:
//! - only nodes with links (dag-pb, DAG-CBOR, DAG-JSON, read by `ipfs_kit_ipld::links`) are
//!   remembered, so a subtree met twice (a snapshot's global
//!   directory holds every bucket; a hostile DAG may link one child from every node) is still
//!   walked once, while memory is O(directories), not O(blocks);
//! - subtrees walked before (each bucket's root, walked once for the bucket and for the
//!   snapshots that hold it) are not walked again: their bad blocks are copied;
//! - raw leaves are looked up in chunks of `CHUNK`, sorted by multihash. In walk order the
//!   lookups land on random pages of the index and most of them read a page from the OS; sorted,
//!   neighbours share pages (100,000 lookups on an index of 13,000 leaf pages), which took the
//!   lookups of 1,000,000 leaves from most of `check`'s time to a fraction of it.
//!
//! Bad blocks come out in the order the walk met them, each once, as `Marker` gives them.

use std::collections::{HashMap, HashSet};

use cid::Cid;
use ipfs_kit_blockstore::BlockStore;
use ipfs_kit_ipld::codec::follows_links;
use ipfs_kit_unixfs::DagReader;
use ipfs_kit_unixfs::block::IDENTITY;

use crate::dag::{BadBlock, read_links};
use crate::error::BucketError;

/// Raw leaves looked up at once: 7 MB of CIDs, and about 5 lookups per index page in a home
/// of a million blocks.
const CHUNK: usize = 64 * 1024;

/// The walk (see the module comment).
pub struct BadBlocks<'s> {
    store: &'s BlockStore,
    /// Subtrees walked before, with what was bad in them.
    known: Option<&'s HashMap<Cid, Vec<BadBlock>>>,
    /// Multihashes of the dag-pb nodes with links read so far.
    nodes: HashSet<Vec<u8>>,
    /// Raw leaves met and not looked up yet, with when they were met.
    leaves: Vec<(Cid, u64)>,
    /// Bad blocks found, with when they were met.
    bad: Vec<(u64, BadBlock)>,
    /// Multihashes of the blocks in `bad`.
    bad_seen: HashSet<Vec<u8>>,
    /// Blocks met so far.
    met: u64,
}

impl<'s> BadBlocks<'s> {
    pub fn new(store: &'s BlockStore, known: Option<&'s HashMap<Cid, Vec<BadBlock>>>) -> Self {
        BadBlocks {
            store,
            known,
            nodes: HashSet::new(),
            leaves: Vec::new(),
            bad: Vec::new(),
            bad_seen: HashSet::new(),
            met: 0,
        }
    }

    /// The bad blocks under `roots`, in the order a depth-first walk from each in turn meets them.
    pub fn of(mut self, roots: &[Cid]) -> Result<Vec<BadBlock>, BucketError> {
        let reader = DagReader::new(self.store);
        let mut stack: Vec<Cid> = roots.iter().rev().copied().collect();
        while let Some(cid) = stack.pop() {
            self.met += 1;
            let identity = cid.hash().code() == IDENTITY;
            if identity && !follows_links(cid.codec()) {
                continue;
            }
            if let Some(bad) = self.known.and_then(|known| known.get(&cid)) {
                self.bad.extend(bad.iter().map(|b| (self.met, b.clone())));
                continue;
            }
            if !follows_links(cid.codec()) {
                // Raw leaves (and codecs whose links we cannot read) end the walk.
                self.leaves.push((cid, self.met));
                if self.leaves.len() == CHUNK {
                    self.look_up_leaves()?;
                }
                continue;
            }
            if self.nodes.contains(&cid.hash().to_bytes()) {
                continue;
            }
            match read_links(&reader, &cid) {
                Ok(links) => {
                    if !links.is_empty() {
                        self.nodes.insert(cid.hash().to_bytes());
                    }
                    stack.extend(links);
                }
                Err(bad) => self.bad.push((self.met, bad)),
            }
        }
        self.look_up_leaves()?;
        // Back in walk order; a block met twice is reported where it was met first.
        self.bad.sort_by_key(|(met, _)| *met);
        let mut bad = Vec::new();
        for (_, b) in std::mem::take(&mut self.bad) {
            if self.bad_seen.insert(b.cid.hash().to_bytes()) {
                bad.push(b);
            }
        }
        Ok(bad)
    }

    /// Looks up the pending leaves in multihash order, the order of the block index.
    fn look_up_leaves(&mut self) -> Result<(), BucketError> {
        self.leaves.sort_unstable_by(|(a, _), (b, _)| a.hash().digest().cmp(b.hash().digest()));
        let found = self.store.has_many(self.leaves.iter().map(|(cid, _)| cid))?;
        for ((cid, met), found) in self.leaves.drain(..).zip(found) {
            if !found {
                self.bad.push((met, BadBlock { cid, problem: "missing".into() }));
            }
        }
        Ok(())
    }
}
