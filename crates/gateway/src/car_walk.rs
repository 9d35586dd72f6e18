//! The blocks of a CAR answer, in the trustless gateway spec's order: the blocks that verify
//! the path, then the terminal's `dag-scope` (`block`, `entity` — a whole file, or the range
//! `entity-bytes` names, or a directory's node and HAMT shards — or `all`), depth first,
//! each block once (`dups=n`) or every time it is met (`dups=y`). Identity CIDs are never
//! written: their bytes are in the CID.
//!
//! The walk is pulled a chunk at a time (`next_chunk`), so a slow client holds no thread and
//! at most one chunk of memory; a block that went missing (a `gc` meanwhile) ends the stream,
//! which the client sees as an incomplete CAR, as the spec says.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};

use bytes::Bytes;
use cid::Cid;
use ipfs_kit_car::CarWriter;
use ipfs_kit_unixfs::BlockSource;
use ipfs_kit_unixfs::data::{DataType, UnixFsData};
use ipfs_kit_unixfs::pb::PbNode;

use crate::file_range::{FileWalk, file_size, load};
use crate::headers::Reject;
use crate::negotiate::{CarParams, DagScope};

const DAG_PB: u64 = 0x70;
const IDENTITY: u64 = 0x00;

/// How a `dups=y` walk may repeat blocks: a DAG that links one subtree many times over can
/// name exponentially many visits, so past this many repeats (beyond one per distinct block)
/// the stream ends.
const MAX_REPEATS: u64 = 1 << 20;

/// What follows the path blocks.
enum Below {
    /// One block (`block`; `entity` of a plain directory, a symlink or another codec; an
    /// `entity-bytes` range that is empty in the file).
    Single(Option<Cid>),
    /// Depth-first over every link (`all`), or over HAMT shard links only (`entity` of a
    /// sharded directory). Holds the CIDs still to visit, last first.
    Dfs { stack: Vec<Cid>, shards_only: bool },
    /// The blocks of a file range (`entity` of a file).
    File(FileWalk),
}

pub struct CarWalk {
    header: Option<Bytes>,
    path: std::vec::IntoIter<Cid>,
    below: Below,
    dups: bool,
    hasher: RandomState,
    seen: HashSet<u64>,
    repeats: u64,
}

/// What the terminal of a path is, as far as `entity` cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    File { size: u64 },
    Shard,
    Other,
}

/// Reads the terminal's root block to see what `entity` means for it.
pub fn entity_of(store: &dyn BlockSource, terminal: &Cid) -> Result<Entity, Reject> {
    let block = load(store, terminal)?;
    match terminal.codec() {
        0x55 => Ok(Entity::File { size: block.len() as u64 }),
        DAG_PB => {
            let node = PbNode::decode(&block).map_err(|e| Reject::internal(format!("block {terminal}: {e}")))?;
            let kind = node.data.as_deref().and_then(|d| UnixFsData::decode(d).ok()).map(|m| m.kind);
            Ok(match kind {
                Some(DataType::File | DataType::Raw) => Entity::File { size: file_size(terminal, &block)? },
                Some(DataType::HamtShard) => Entity::Shard,
                _ => Entity::Other,
            })
        }
        _ => Ok(Entity::Other),
    }
}

impl CarWalk {
    /// `path` are the blocks that verify the path (`resolve::Resolved::blocks`). `range` is
    /// the resolved `entity-bytes` of a file terminal: `None` for the whole entity, `Some(None)`
    /// for a range empty in the file (the terminal block alone, as the spec says).
    pub fn new(
        root: Cid,
        path: Vec<Cid>,
        terminal: Cid,
        params: &CarParams,
        entity: Entity,
        range: Option<Option<(u64, u64)>>,
    ) -> Self {
        let (header, _) =
            CarWriter::new(Vec::new(), &[root]).and_then(CarWriter::finish).expect("writing to a Vec cannot fail");
        let below = match (params.scope, entity, range) {
            (DagScope::All, _, _) => Below::Dfs { stack: vec![terminal], shards_only: false },
            (DagScope::Entity, Entity::File { .. }, Some(None)) => Below::Single(Some(terminal)),
            (DagScope::Entity, Entity::File { .. }, Some(Some((start, end)))) => {
                Below::File(FileWalk::new(terminal, start, end))
            }
            (DagScope::Entity, Entity::File { size }, None) => Below::File(FileWalk::new(terminal, 0, size)),
            (DagScope::Entity, Entity::Shard, _) => Below::Dfs { stack: vec![terminal], shards_only: true },
            _ => Below::Single(Some(terminal)),
        };
        CarWalk {
            header: Some(Bytes::from(header)),
            path: path.into_iter(),
            below,
            dups: params.dups,
            hasher: RandomState::new(),
            seen: HashSet::new(),
            repeats: 0,
        }
    }

    /// The next sections of the CAR (the header first), about `budget` bytes of them, as
    /// pieces to send in order; `None` at the end.
    pub fn next_chunk(&mut self, store: &dyn BlockSource, budget: usize) -> Result<Option<Vec<Bytes>>, Reject> {
        let mut out = Vec::new();
        let mut size = 0;
        if let Some(header) = self.header.take() {
            size += header.len();
            out.push(header);
        }
        while size < budget {
            let Some((cid, block)) = self.next_block(store)? else {
                break;
            };
            let cid_bytes = cid.to_bytes();
            let mut head = Vec::with_capacity(10 + cid_bytes.len());
            ipfs_kit_ipld::varint::put(&mut head, (cid_bytes.len() + block.len()) as u64);
            head.extend_from_slice(&cid_bytes);
            size += head.len() + block.len();
            out.push(Bytes::from(head));
            out.push(block);
        }
        Ok((!out.is_empty()).then_some(out))
    }

    /// Whether a block met on the walk is written: identity blocks never, others once, or
    /// every time with `dups=y` (bounded by `MAX_REPEATS`).
    fn admit(&mut self, cid: &Cid) -> Result<bool, Reject> {
        if cid.hash().code() == IDENTITY {
            return Ok(false);
        }
        if self.seen.insert(self.hasher.hash_one(cid.hash().to_bytes())) {
            return Ok(true);
        }
        if !self.dups {
            return Ok(false);
        }
        self.repeats += 1;
        if self.repeats > MAX_REPEATS {
            return Err(Reject::internal(format!("the DAG repeats blocks more than {MAX_REPEATS} times; stopped")));
        }
        Ok(true)
    }

    fn next_block(&mut self, store: &dyn BlockSource) -> Result<Option<(Cid, Bytes)>, Reject> {
        loop {
            if let Some(cid) = self.path.next() {
                if self.admit(&cid)? {
                    return Ok(Some((cid, load(store, &cid)?)));
                }
                continue;
            }
            match &mut self.below {
                Below::Single(slot) => {
                    let Some(cid) = slot.take() else {
                        return Ok(None);
                    };
                    if self.admit(&cid)? {
                        return Ok(Some((cid, load(store, &cid)?)));
                    }
                }
                Below::File(walk) => {
                    let Some(piece) = walk.next_piece(store)? else {
                        return Ok(None);
                    };
                    if self.admit(&piece.cid)? {
                        return Ok(Some((piece.cid, piece.block)));
                    }
                }
                Below::Dfs { stack, shards_only } => {
                    let Some(cid) = stack.pop() else {
                        return Ok(None);
                    };
                    let shards_only = *shards_only;
                    let identity = cid.hash().code() == IDENTITY;
                    let emit = self.admit(&cid)?;
                    if !emit && !identity {
                        continue; // met before: its subtree was written then
                    }
                    let block = load(store, &cid)?;
                    let children = if shards_only { shard_links(&cid, &block) } else { all_links(&cid, &block) };
                    if let Below::Dfs { stack, .. } = &mut self.below {
                        stack.extend(children.into_iter().rev());
                    }
                    if emit {
                        return Ok(Some((cid, block)));
                    }
                }
            }
        }
    }
}

/// Every link of a block, whatever its codec; none for a codec whose links cannot be read.
fn all_links(cid: &Cid, block: &[u8]) -> Vec<Cid> {
    ipfs_kit_ipld::links(cid, block).unwrap_or_default()
}

/// The links of a HAMT shard to its inner shards (two-character names), which a client needs
/// to enumerate the directory; none for any other block.
fn shard_links(cid: &Cid, block: &[u8]) -> Vec<Cid> {
    if cid.codec() != DAG_PB {
        return Vec::new();
    }
    let Ok(node) = PbNode::decode(block) else {
        return Vec::new();
    };
    let is_shard =
        node.data.as_deref().and_then(|d| UnixFsData::decode(d).ok()).is_some_and(|m| m.kind == DataType::HamtShard);
    if !is_shard {
        return Vec::new();
    }
    node.links.iter().filter(|l| l.name.as_deref().is_some_and(|n| n.len() == 2)).map(|l| l.cid).collect()
}
