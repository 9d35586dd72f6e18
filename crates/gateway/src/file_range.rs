//! A byte range of a UnixFS file, found through the `blocksizes` of its nodes: only the
//! subtrees that hold bytes of the range are read, depth first. The same walk serves `Range`
//! requests (the bytes) and `entity-bytes` CARs (the blocks, intermediate nodes included).

use bytes::Bytes;
use cid::Cid;
use ipfs_kit_unixfs::BlockSource;
use ipfs_kit_unixfs::data::{DataType, UnixFsData};
use ipfs_kit_unixfs::pb::PbNode;

use crate::headers::Reject;

const RAW: u64 = 0x55;
const DAG_PB: u64 = 0x70;
const IDENTITY: u64 = 0x00;

/// A block met on the walk and the file bytes in it that fall in the range (maybe none).
pub struct Piece {
    pub cid: Cid,
    pub block: Bytes,
    pub data: Bytes,
}

/// The walk over `[start, end)` of the file at `root`.
pub struct FileWalk {
    /// Nodes still to visit, last first, with the file offset each starts at.
    pending: Vec<(Cid, u64)>,
    start: u64,
    end: u64,
}

/// A block's bytes: identity CIDs carry theirs.
pub fn load(store: &dyn BlockSource, cid: &Cid) -> Result<Bytes, Reject> {
    if cid.hash().code() == IDENTITY {
        return Ok(Bytes::copy_from_slice(cid.hash().digest()));
    }
    match store.get(cid) {
        Ok(Some(bytes)) => Ok(Bytes::from(bytes)),
        Ok(None) => Err(Reject::not_found(format!("block {cid} is not held here"))),
        Err(e) => Err(Reject::internal(format!("reading block {cid}: {e}"))),
    }
}

fn malformed(cid: &Cid, what: &str) -> Reject {
    Reject::internal(format!("block {cid} is not a well-formed UnixFS file node: {what}"))
}

/// A decoded file node: its own bytes and its children's sizes.
fn file_node(cid: &Cid, block: &[u8]) -> Result<(Vec<Cid>, Vec<u64>, Bytes, u64), Reject> {
    let node = PbNode::decode(block).map_err(|e| malformed(cid, &e.to_string()))?;
    let data = node.data.as_deref().ok_or_else(|| malformed(cid, "no data"))?;
    let msg = UnixFsData::decode(data).map_err(|e| malformed(cid, &e.to_string()))?;
    if !matches!(msg.kind, DataType::File | DataType::Raw) {
        return Err(Reject::not_found(format!("{cid} is a {}, not a file", msg.kind.name())));
    }
    if msg.blocksizes.len() != node.links.len() {
        return Err(malformed(cid, "blocksizes and links disagree"));
    }
    let own = Bytes::copy_from_slice(msg.data.unwrap_or_default());
    let size = msg.filesize.unwrap_or(own.len() as u64 + msg.blocksizes.iter().sum::<u64>());
    Ok((node.links.iter().map(|l| l.cid).collect(), msg.blocksizes, own, size))
}

/// The size of the file at `cid` (a raw block or a UnixFS file node), from its root alone.
pub fn file_size(cid: &Cid, block: &[u8]) -> Result<u64, Reject> {
    match cid.codec() {
        DAG_PB => Ok(file_node(cid, block)?.3),
        _ => Ok(block.len() as u64),
    }
}

impl FileWalk {
    pub fn new(root: Cid, start: u64, end: u64) -> Self {
        FileWalk { pending: vec![(root, 0)], start, end }
    }

    /// The next block on the walk, or `None` when the range is done.
    pub fn next_piece(&mut self, store: &dyn BlockSource) -> Result<Option<Piece>, Reject> {
        let Some((cid, offset)) = self.pending.pop() else {
            return Ok(None);
        };
        let block = load(store, &cid)?;
        let (data, data_at) = match cid.codec() {
            DAG_PB => {
                let (links, sizes, own, _) = file_node(&cid, &block)?;
                let mut child_at = offset + own.len() as u64;
                let mut children = Vec::new();
                for (link, size) in links.into_iter().zip(sizes) {
                    if child_at < self.end && child_at + size > self.start && size > 0 {
                        children.push((link, child_at));
                    }
                    child_at = child_at.saturating_add(size);
                    if child_at >= self.end {
                        break;
                    }
                }
                self.pending.extend(children.into_iter().rev());
                (own, offset)
            }
            RAW | IDENTITY => (block.clone(), offset),
            codec => return Err(Reject::not_found(format!("{cid} has codec 0x{codec:x}, not a file"))),
        };
        let from = self.start.saturating_sub(data_at).min(data.len() as u64) as usize;
        let to = self.end.saturating_sub(data_at).min(data.len() as u64) as usize;
        let data = if from < to { data.slice(from..to) } else { Bytes::new() };
        Ok(Some(Piece { cid, block, data }))
    }
}

/// A block's length without reading it (for `HEAD`); 404 when it is not here.
pub fn block_len(store: &dyn BlockSource, cid: &Cid) -> Result<u64, Reject> {
    if cid.hash().code() == IDENTITY {
        return Ok(cid.hash().digest().len() as u64);
    }
    match store.block_len(cid) {
        Ok(Some(len)) => Ok(len),
        Ok(None) => Err(Reject::not_found(format!("block {cid} is not held here"))),
        Err(e) => Err(Reject::internal(format!("reading block {cid}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipfs_kit_unixfs::file::import_file;
    use ipfs_kit_unixfs::{MemoryBlocks, Profile};
    use std::path::Path;

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 % 251) as u8).collect()
    }

    fn read(blocks: &MemoryBlocks, root: Cid, start: u64, end: u64) -> (Vec<u8>, usize) {
        let mut walk = FileWalk::new(root, start, end);
        let (mut out, mut n) = (Vec::new(), 0);
        while let Some(piece) = walk.next_piece(blocks).unwrap() {
            out.extend_from_slice(&piece.data);
            n += 1;
        }
        (out, n)
    }

    #[test]
    fn every_range_of_deep_files_reads_the_right_bytes_in_both_profiles() {
        for base in [Profile::UNIXFS_V1_2025, Profile::UNIXFS_V0_2015] {
            let profile = Profile { chunk_size: 7, max_links: 3, ..base };
            let data = bytes(200);
            let mut blocks = MemoryBlocks::new();
            let root = import_file(&mut &data[..], Path::new("t"), &profile, &mut blocks).unwrap().cid;
            let root_block = blocks.get(&root).unwrap().unwrap();
            assert_eq!(file_size(&root, &root_block).unwrap(), 200);
            for (start, end) in [(0, 200), (0, 1), (199, 200), (6, 8), (50, 150), (13, 14)] {
                let (got, visited) = read(&blocks, root, start, end);
                assert_eq!(got, data[start as usize..end as usize], "{start}..{end}");
                if end - start == 1 {
                    // One byte: one leaf and its ancestors (depth 5 here), not the whole file.
                    assert!(visited <= 6, "{visited} blocks for one byte");
                }
            }
        }
    }
}
