//! Reading a UnixFS DAG back from any `BlockSource`, checking every block against its CID.
//!
//! Nothing is trusted: a block is hashed before it is decoded, so a source (a store, a CAR file,
//! a gateway) can lose data but cannot substitute it. File bytes are streamed with an explicit
//! stack of link lists rather than recursion, so a deep DAG costs one frame per level and memory
//! stays flat in the file size.

use std::io::Read;

use cid::Cid;

use crate::block::{BlockSource, DAG_PB, IDENTITY, RAW};
use crate::data::{DataType, UnixFsData};
use crate::error::ReadError;
use crate::file::Node;
use crate::hamt::{MURMUR3_X64_64, hash_name, slot_prefix};
use crate::import::EntryKind;
use crate::pb::{PbLink, PbNode};
use crate::profile::HAMT_FANOUT;

/// How deep a file DAG or HAMT may go before it is treated as hostile.
const MAX_DEPTH: usize = 256;

/// A decoded block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A raw leaf: file bytes.
    Raw(Vec<u8>),
    /// A dag-pb node and the type from its UnixFS data.
    Pb { node: PbNode, kind: DataType },
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    pub name: String,
    pub cid: Cid,
    pub tsize: Option<u64>,
}

/// Checks a block's bytes against its CID's multihash, as a [`ReadError`] naming the block.
pub fn verify_block(cid: &Cid, bytes: &[u8]) -> Result<(), ReadError> {
    match ipfs_kit_ipld::verify(cid, bytes) {
        Ok(()) => Ok(()),
        Err(ipfs_kit_ipld::Mismatch::Digest) => Err(ReadError::HashMismatch { cid: *cid }),
        Err(ipfs_kit_ipld::Mismatch::Unsupported { code, .. }) => Err(ReadError::UnsupportedHash { cid: *cid, code }),
    }
}

/// Reads and verifies DAGs from a block source.
#[derive(Clone, Copy)]
pub struct DagReader<'s> {
    source: &'s dyn BlockSource,
    /// False only for a source whose blocks were checked when they were stored (`trusting`).
    verify: bool,
}

impl<'s> DagReader<'s> {
    pub fn new(source: &'s dyn BlockSource) -> Self {
        DagReader { source, verify: true }
    }

    /// A reader that does not hash blocks, for a source that checked every block when it was
    /// stored (a home's own store, read by the gateway: its clients verify what they receive,
    /// and `check --read-data` finds rot). Decoding stays as strict as ever.
    pub fn trusting(source: &'s dyn BlockSource) -> Self {
        DagReader { source, verify: false }
    }

    /// Fetches a block and checks its bytes against the CID's multihash (unless `trusting`).
    pub fn block(&self, cid: &Cid) -> Result<Vec<u8>, ReadError> {
        let hash = cid.hash();
        if hash.code() == IDENTITY {
            return Ok(hash.digest().to_vec());
        }
        let bytes = self
            .source
            .get(cid)
            .map_err(|source| ReadError::Source { cid: *cid, source })?
            .ok_or(ReadError::MissingBlock { cid: *cid })?;
        if self.verify {
            verify_block(cid, &bytes)?;
        }
        Ok(bytes)
    }

    /// Fetches, verifies and decodes a block.
    pub fn decode(&self, cid: &Cid) -> Result<Decoded, ReadError> {
        let bytes = self.block(cid)?;
        match cid.codec() {
            RAW => Ok(Decoded::Raw(bytes)),
            DAG_PB => {
                let node = PbNode::decode(&bytes).map_err(|source| ReadError::Decode { cid: *cid, source })?;
                let kind = match &node.data {
                    Some(data) => {
                        UnixFsData::decode(data).map_err(|source| ReadError::Decode { cid: *cid, source })?.kind
                    }
                    None => {
                        return Err(ReadError::UnexpectedNode {
                            cid: *cid,
                            expected: "UnixFS node",
                            found: "bare dag-pb node",
                        });
                    }
                };
                Ok(Decoded::Pb { node, kind })
            }
            codec => Err(ReadError::UnsupportedCodec { cid: *cid, codec }),
        }
    }

    /// Lists a plain or HAMT-sharded directory, sorted by name.
    pub fn list(&self, cid: &Cid) -> Result<Vec<ListEntry>, ReadError> {
        let (node, kind) = self.pb_node(cid)?;
        let mut entries = Vec::new();
        match kind {
            DataType::Directory => {
                entries.extend(node.links.into_iter().map(|l| ListEntry {
                    name: l.name.unwrap_or_default(),
                    cid: l.cid,
                    tsize: l.tsize,
                }));
            }
            DataType::HamtShard => self.collect_shard(cid, node, 0, &mut entries)?,
            other => return Err(unexpected(cid, "directory", other)),
        }
        entries.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        Ok(entries)
    }

    pub(crate) fn collect_shard(
        &self,
        cid: &Cid,
        node: PbNode,
        depth: usize,
        out: &mut Vec<ListEntry>,
    ) -> Result<(), ReadError> {
        check_shard(cid, &node, depth)?;
        for link in node.links {
            let name = link.name.unwrap_or_default();
            // The first two bytes are the slot in hex; a name from elsewhere may put a
            // multi-byte character across them (found by fuzzing: slicing there panicked).
            if !name.is_char_boundary(2.min(name.len())) || !name.as_bytes().iter().take(2).all(u8::is_ascii_hexdigit) {
                return Err(ReadError::UnexpectedNode {
                    cid: *cid,
                    expected: "HAMT link name",
                    found: "no hex slot prefix",
                });
            }
            if name.len() == 2 {
                let (child, kind) = self.pb_node(&link.cid)?;
                if kind != DataType::HamtShard {
                    return Err(unexpected(&link.cid, "HAMT shard", kind));
                }
                self.collect_shard(&link.cid, child, depth + 1, out)?;
            } else if name.len() > 2 {
                out.push(ListEntry { name: name[2..].to_owned(), cid: link.cid, tsize: link.tsize });
            } else {
                return Err(ReadError::UnexpectedNode { cid: *cid, expected: "HAMT link name", found: "short name" });
            }
        }
        Ok(())
    }

    /// Finds `name` in a directory without listing a whole HAMT: one shard per level.
    pub fn lookup(&self, dir: &Cid, name: &str) -> Result<Option<Cid>, ReadError> {
        self.lookup_traced(dir, name, &mut Vec::new())
    }

    /// `lookup`, also naming in `shards` each inner HAMT shard it read below `dir`: the blocks
    /// a client needs, besides `dir`, to verify the step (a gateway's CAR carries them).
    pub fn lookup_traced(&self, dir: &Cid, name: &str, shards: &mut Vec<Cid>) -> Result<Option<Cid>, ReadError> {
        let (node, kind) = self.pb_node(dir)?;
        match kind {
            DataType::Directory => Ok(node.links.into_iter().find(|l| l.name.as_deref() == Some(name)).map(|l| l.cid)),
            DataType::HamtShard => self.lookup_shard(dir, node, name, shards),
            other => Err(unexpected(dir, "directory", other)),
        }
    }

    fn lookup_shard(
        &self,
        root: &Cid,
        mut node: PbNode,
        name: &str,
        shards: &mut Vec<Cid>,
    ) -> Result<Option<Cid>, ReadError> {
        let hash = hash_name(name.as_bytes());
        let mut shard_cid = *root;
        for (depth, &slot) in hash.iter().enumerate() {
            check_shard(&shard_cid, &node, depth)?;
            let prefix = slot_prefix(slot as usize);
            let Some(link) = node.links.iter().find(|l| l.name.as_deref().is_some_and(|n| n.starts_with(&prefix)))
            else {
                return Ok(None);
            };
            let link_name = link.name.as_deref().unwrap_or_default();
            if link_name.len() > 2 {
                return Ok((link_name.get(2..) == Some(name)).then_some(link.cid));
            }
            shard_cid = link.cid;
            shards.push(shard_cid);
            let (child, kind) = self.pb_node(&shard_cid)?;
            if kind != DataType::HamtShard {
                return Err(unexpected(&shard_cid, "HAMT shard", kind));
            }
            node = child;
        }
        Ok(None)
    }

    /// Follows a `/`-separated path from `root`. Empty components are ignored.
    pub fn resolve(&self, root: &Cid, path: &str) -> Result<Cid, ReadError> {
        let mut cid = *root;
        for name in path.split('/').filter(|c| !c.is_empty()) {
            cid = self.lookup(&cid, name)?.ok_or_else(|| ReadError::NotFound { cid, name: name.to_owned() })?;
        }
        Ok(cid)
    }

    /// Streams the bytes of the file at `cid`.
    pub fn cat(&self, cid: &Cid) -> Result<FileReader<'s>, ReadError> {
        if cid.codec() == DAG_PB {
            let (_, kind) = self.pb_node(cid)?;
            if !matches!(kind, DataType::File | DataType::Raw) {
                return Err(unexpected(cid, "file", kind));
            }
        }
        Ok(FileReader {
            dag: *self,
            root: *cid,
            stack: vec![vec![*cid].into_iter()],
            current: Vec::new(),
            pos: 0,
            skip: 0,
        })
    }

    /// The symlink target stored at `cid`.
    pub fn read_link(&self, cid: &Cid) -> Result<Vec<u8>, ReadError> {
        let (node, kind) = self.pb_node(cid)?;
        if kind != DataType::Symlink {
            return Err(unexpected(cid, "symlink", kind));
        }
        let data = node.data.unwrap_or_default();
        let msg = UnixFsData::decode(&data).map_err(|source| ReadError::Decode { cid: *cid, source })?;
        Ok(msg.data.unwrap_or_default().to_vec())
    }

    /// What kind of UnixFS node `cid` is: raw leaves count as files.
    pub fn kind(&self, cid: &Cid) -> Result<DataType, ReadError> {
        match self.decode(cid)? {
            Decoded::Raw(_) => Ok(DataType::Raw),
            Decoded::Pb { kind, .. } => Ok(kind),
        }
    }

    /// The leaves of the file DAG at `root` (whose sizes the caller knows from its parent
    /// link), in order, as `BalancedLayout` takes them: only the inner nodes are read, the
    /// leaves' sizes come from their parents' `blocksizes` and link `Tsize`s. A multipart
    /// upload's parts are joined this way without reading or hashing their bytes again.
    pub fn file_leaves(&self, root: Node) -> Result<Vec<Node>, ReadError> {
        let mut leaves = Vec::new();
        self.collect_leaves(root, 0, &mut leaves)?;
        Ok(leaves)
    }

    fn collect_leaves(&self, node: Node, depth: usize, out: &mut Vec<Node>) -> Result<(), ReadError> {
        if node.cid.codec() == RAW {
            out.push(node);
            return Ok(());
        }
        if depth >= MAX_DEPTH {
            return Err(ReadError::TooDeep { cid: node.cid, limit: MAX_DEPTH });
        }
        let (pb, kind) = self.pb_node(&node.cid)?;
        if !matches!(kind, DataType::File | DataType::Raw) {
            return Err(unexpected(&node.cid, "file", kind));
        }
        if pb.links.is_empty() {
            out.push(node);
            return Ok(());
        }
        let data = pb.data.as_deref().unwrap_or_default();
        let msg = UnixFsData::decode(data).map_err(|source| ReadError::Decode { cid: node.cid, source })?;
        if msg.data.as_ref().is_some_and(|d| !d.is_empty()) || msg.blocksizes.len() != pb.links.len() {
            // Bytes in an inner node, or sizes that do not match the links: not a DAG this
            // importer writes, so its leaves alone do not describe it.
            return Err(ReadError::SizeMismatch { cid: node.cid });
        }
        for (link, filesize) in pb.links.iter().zip(&msg.blocksizes) {
            let tsize = link.tsize.ok_or(ReadError::SizeMismatch { cid: node.cid })?;
            self.collect_leaves(Node { cid: link.cid, filesize: *filesize, tsize }, depth + 1, out)?;
        }
        Ok(())
    }

    /// What a directory entry is, reading only dag-pb nodes: a raw block is always a file.
    pub fn entry_kind(&self, cid: &Cid) -> Result<EntryKind, ReadError> {
        if cid.codec() == RAW {
            return Ok(EntryKind::File);
        }
        Ok(match self.pb_node(cid)?.1 {
            DataType::Directory | DataType::HamtShard => EntryKind::Directory,
            DataType::Symlink => EntryKind::Symlink,
            DataType::File | DataType::Raw | DataType::Metadata => EntryKind::File,
        })
    }

    /// A verified, decoded dag-pb node and its UnixFS type.
    pub fn pb_node(&self, cid: &Cid) -> Result<(PbNode, DataType), ReadError> {
        match self.decode(cid)? {
            Decoded::Pb { node, kind } => Ok((node, kind)),
            Decoded::Raw(_) => {
                Err(ReadError::UnexpectedNode { cid: *cid, expected: "dag-pb node", found: "raw block" })
            }
        }
    }
}

fn unexpected(cid: &Cid, expected: &'static str, found: DataType) -> ReadError {
    ReadError::UnexpectedNode { cid: *cid, expected, found: found.name() }
}

/// Refuses shards with a hash function or fanout this reader does not speak.
pub(crate) fn check_shard(cid: &Cid, node: &PbNode, depth: usize) -> Result<(), ReadError> {
    let data = node.data.as_deref().unwrap_or_default();
    let msg = UnixFsData::decode(data).map_err(|source| ReadError::Decode { cid: *cid, source })?;
    if msg.hash_type != Some(MURMUR3_X64_64) || msg.fanout != Some(HAMT_FANOUT as u64) {
        return Err(ReadError::UnexpectedNode {
            cid: *cid,
            expected: "murmur3-x64-64 HAMT with fanout 256",
            found: "HAMT of another hash or fanout",
        });
    }
    if depth >= 8 {
        return Err(ReadError::TooDeep { cid: *cid, limit: 8 });
    }
    Ok(())
}

/// A `Read` over a file DAG: depth-first, each node's own data before its children.
pub struct FileReader<'s> {
    dag: DagReader<'s>,
    root: Cid,
    stack: Vec<std::vec::IntoIter<Cid>>,
    current: Vec<u8>,
    pos: usize,
    /// File bytes still to pass over before the first one returned (`starting_at`).
    skip: u64,
}

impl FileReader<'_> {
    /// Starts reading at byte `offset` of the file instead of its start. Whole subtrees before
    /// it are passed over by their `blocksizes`, unread, so a read from the middle of a large
    /// file costs a few blocks, not the bytes before it. Call it before the first read.
    pub fn starting_at(mut self, offset: u64) -> Self {
        self.skip = offset;
        self
    }

    /// `bytes` as the current block, less what is still to be skipped.
    fn take_data(&mut self, bytes: Vec<u8>) {
        let len = bytes.len() as u64;
        if self.skip >= len {
            self.skip -= len;
            self.current = Vec::new();
        } else if self.skip > 0 {
            self.current = bytes[self.skip as usize..].to_vec();
            self.skip = 0;
        } else {
            self.current = bytes;
        }
    }

    /// Loads the next block with file bytes into `current`. False at the end of the file.
    fn advance(&mut self) -> Result<bool, ReadError> {
        loop {
            let Some(frame) = self.stack.last_mut() else {
                return Ok(false);
            };
            let Some(cid) = frame.next() else {
                self.stack.pop();
                continue;
            };
            match self.dag.decode(&cid)? {
                Decoded::Raw(bytes) => self.take_data(bytes),
                Decoded::Pb { node, kind } => {
                    if !matches!(kind, DataType::File | DataType::Raw) {
                        return Err(unexpected(&cid, "file", kind));
                    }
                    let data = node.data.as_deref().unwrap_or_default();
                    let msg = UnixFsData::decode(data).map_err(|source| ReadError::Decode { cid, source })?;
                    self.take_data(msg.data.unwrap_or_default().to_vec());
                    if !node.links.is_empty() {
                        if self.stack.len() >= MAX_DEPTH {
                            return Err(ReadError::TooDeep { cid: self.root, limit: MAX_DEPTH });
                        }
                        let mut children: Vec<Cid> = node.links.iter().map(|l: &PbLink| l.cid).collect();
                        // Children wholly before the start are dropped by their sizes; without
                        // one size per link, the bytes are read and skipped instead.
                        if self.skip > 0 && msg.blocksizes.len() == children.len() {
                            let mut first = 0;
                            for size in &msg.blocksizes {
                                if self.skip < *size {
                                    break;
                                }
                                self.skip -= size;
                                first += 1;
                            }
                            children.drain(..first);
                        }
                        self.stack.push(children.into_iter());
                    }
                }
            }
            self.pos = 0;
            if !self.current.is_empty() {
                return Ok(true);
            }
        }
    }
}

impl Read for FileReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.pos == self.current.len() {
            if !self.advance()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::MemoryBlocks;
    use crate::dir::{DirEntry, build_directory};
    use crate::file::import_file;
    use crate::profile::Profile;
    use std::path::Path;

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn cat_round_trips_deep_files_in_both_profiles() {
        for base in [Profile::UNIXFS_V1_2025, Profile::UNIXFS_V0_2015] {
            let profile = Profile { chunk_size: 3, max_links: 2, ..base };
            let data = bytes(100); // 34 chunks: 6 levels deep
            let mut blocks = MemoryBlocks::new();
            let root = import_file(&mut &data[..], Path::new("t"), &profile, &mut blocks).unwrap();
            let mut out = Vec::new();
            DagReader::new(&blocks).cat(&root.cid).unwrap().read_to_end(&mut out).unwrap();
            assert_eq!(out, data);
        }
    }

    #[test]
    fn reads_can_start_anywhere_in_both_profiles() {
        for base in [Profile::UNIXFS_V1_2025, Profile::UNIXFS_V0_2015] {
            let profile = Profile { chunk_size: 3, max_links: 2, ..base };
            let data = bytes(100);
            let mut blocks = MemoryBlocks::new();
            let root = import_file(&mut &data[..], Path::new("t"), &profile, &mut blocks).unwrap();
            for start in [0, 1, 2, 3, 4, 47, 96, 99, 100, 150] {
                let mut out = Vec::new();
                DagReader::new(&blocks).cat(&root.cid).unwrap().starting_at(start).read_to_end(&mut out).unwrap();
                assert_eq!(out, data[(start as usize).min(100)..], "from {start}");
            }
        }
    }

    #[test]
    fn joined_leaves_of_aligned_parts_give_the_whole_file() {
        for base in [Profile::UNIXFS_V1_2025, Profile::UNIXFS_V0_2015] {
            let profile = Profile { chunk_size: 3, max_links: 2, ..base };
            let data = bytes(100);
            let mut blocks = MemoryBlocks::new();
            let whole = import_file(&mut &data[..], Path::new("t"), &profile, &mut blocks).unwrap();
            let mut layout = crate::file::BalancedLayout::new(&profile);
            for part in [&data[..30], &data[30..33], &data[33..]] {
                let root = import_file(&mut &part[..], Path::new("p"), &profile, &mut blocks).unwrap();
                for leaf in DagReader::new(&blocks).file_leaves(root).unwrap() {
                    layout.push(leaf, &mut blocks).unwrap();
                }
            }
            assert_eq!(layout.finish(&mut blocks).unwrap(), whole);
        }
    }

    #[test]
    fn corrupt_and_missing_blocks_are_reported() {
        let profile = Profile { chunk_size: 10, ..Profile::UNIXFS_V1_2025 };
        let data = bytes(50);
        let mut blocks = MemoryBlocks::new();
        let root = import_file(&mut &data[..], Path::new("t"), &profile, &mut blocks).unwrap();
        let leaf = crate::block::sha256_cid(1, RAW, &data[10..20]);
        blocks.blocks_mut().get_mut(&leaf).unwrap()[0] ^= 1;
        let err = DagReader::new(&blocks).cat(&root.cid).unwrap().read_to_end(&mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("does not match its hash"), "{err}");
        blocks.blocks_mut().remove(&leaf);
        let err = DagReader::new(&blocks).cat(&root.cid).unwrap().read_to_end(&mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("is missing"), "{err}");
    }

    #[test]
    fn hamt_list_and_lookup_find_every_entry() {
        let profile = Profile { shard_rule: crate::profile::ShardRule::EntryCount(10), ..Profile::UNIXFS_V1_2025 };
        let mut blocks = MemoryBlocks::new();
        let mut entries = Vec::new();
        for i in 0..3000 {
            let name = format!("file-{i}");
            let node = import_file(&mut name.as_bytes(), Path::new("t"), &profile, &mut blocks).unwrap();
            entries.push(DirEntry { name, node });
        }
        let dir = build_directory(entries.clone(), &profile, &mut blocks).unwrap();
        let reader = DagReader::new(&blocks);
        assert_eq!(reader.kind(&dir.cid).unwrap(), DataType::HamtShard);
        let listed = reader.list(&dir.cid).unwrap();
        assert_eq!(listed.len(), 3000);
        for entry in entries.iter().step_by(97) {
            assert_eq!(reader.lookup(&dir.cid, &entry.name).unwrap(), Some(entry.node.cid));
            let mut out = String::new();
            reader.cat(&reader.resolve(&dir.cid, &entry.name).unwrap()).unwrap().read_to_string(&mut out).unwrap();
            assert_eq!(out, entry.name);
        }
        assert_eq!(reader.lookup(&dir.cid, "absent").unwrap(), None);
    }

    /// A HAMT link whose name puts a multi-byte character across the two-byte slot prefix is an
    /// error, not a panic (found by fuzzing).
    #[test]
    fn hamt_names_without_a_hex_slot_are_errors() {
        let profile = Profile { shard_rule: crate::profile::ShardRule::EntryCount(1), ..Profile::UNIXFS_V1_2025 };
        let mut blocks = MemoryBlocks::new();
        let mut entries = Vec::new();
        for name in ["a", "b"] {
            let node = import_file(&mut name.as_bytes(), Path::new("t"), &profile, &mut blocks).unwrap();
            entries.push(DirEntry { name: name.into(), node });
        }
        let dir = build_directory(entries, &profile, &mut blocks).unwrap();
        let (mut node, _) = DagReader::new(&blocks).pb_node(&dir.cid).unwrap();
        for bad in ["1é", "é", "zzname"] {
            node.links[0].name = Some(bad.into());
            let bytes = node.encode();
            let cid = crate::block::sha256_cid(1, DAG_PB, &bytes);
            crate::block::BlockSink::put(&mut blocks, &cid, &bytes).unwrap();
            let reader = DagReader::new(&blocks);
            let err = reader.list(&cid).unwrap_err();
            assert!(err.to_string().contains("HAMT link name"), "{bad}: {err}");
            // A lookup that meets the bad link must not panic either (a panic fails the test).
            let _ = reader.lookup(&cid, "a");
            let _ = reader.lookup(&cid, "b");
        }
    }
}
