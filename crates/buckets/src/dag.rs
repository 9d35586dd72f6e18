//! Walking stored DAGs: which blocks a set of roots reaches (for `gc` and `check`), and the
//! entry rows a directory DAG describes (for `restore` and `check`).

use std::collections::{HashMap, HashSet};

use cid::Cid;
use ipfs_kit_blockstore::BlockStore;
use ipfs_kit_ipld::codec::follows_links;
use ipfs_kit_unixfs::block::{IDENTITY, RAW};
use ipfs_kit_unixfs::data::{DataType, UnixFsData};
use ipfs_kit_unixfs::pb::PbNode;
use ipfs_kit_unixfs::{BlockSource, DagReader, EntryKind, ReadError};

use crate::catalog::EntryRow;
use crate::error::BucketError;
use crate::names::{check_entry_name, join};

/// A block a walk could not use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadBlock {
    pub cid: Cid,
    /// "missing", or why its bytes are unusable.
    pub problem: String,
}

/// Marks every block reachable from the roots it is given. Blocks of a codec with links
/// (dag-pb, DAG-CBOR, DAG-JSON: `ipfs_kit_ipld::codec::follows_links`) are read (and so
/// verified) to follow their links through `ipfs_kit_ipld::links`; raw leaves and blocks of
/// other codecs are only looked up, not read.
pub struct Marker<'s> {
    store: &'s BlockStore,
    /// Multihashes of every block reached, present or not.
    pub reached: HashSet<Vec<u8>>,
    pub bad: Vec<BadBlock>,
}

impl<'s> Marker<'s> {
    pub fn new(store: &'s BlockStore) -> Self {
        Marker { store, reached: HashSet::new(), bad: Vec::new() }
    }

    /// Marks `root` and everything below it. Subtrees already reached are not walked again,
    /// so many snapshots of one bucket cost little more than one.
    pub fn mark(&mut self, root: &Cid) -> Result<(), BucketError> {
        let reader = DagReader::new(self.store);
        let mut stack = vec![*root];
        while let Some(cid) = stack.pop() {
            if !self.reached.insert(cid.hash().to_bytes()) {
                continue;
            }
            if !follows_links(cid.codec()) {
                // Raw leaves (and codecs whose links we cannot read) end the walk.
                if cid.hash().code() != IDENTITY && !self.store.has(&cid)? {
                    self.bad.push(BadBlock { cid, problem: "missing".into() });
                }
                continue;
            }
            match read_links(&reader, &cid) {
                Ok(links) => stack.extend(links),
                Err(bad) => self.bad.push(bad),
            }
        }
        Ok(())
    }
}

/// The links of the block `cid` (of a codec that has links), read and verified through
/// `reader`; an identity CID's block is its digest. What makes the block unusable comes back as
/// a finding, for walks that report rather than stop.
pub(crate) fn read_links(reader: &DagReader<'_>, cid: &Cid) -> Result<Vec<Cid>, BadBlock> {
    let bytes = reader.block(cid).map_err(|err| bad_block(*cid, err))?;
    ipfs_kit_ipld::links(cid, &bytes).map_err(|err| BadBlock { cid: *cid, problem: unusable(err) })
}

/// Why a block's links could not be read, without repeating its CID.
fn unusable(err: ipfs_kit_ipld::LinksError) -> String {
    use ipfs_kit_ipld::LinksError as E;
    match err {
        E::DagPb { source, .. } => format!("not valid dag-pb: {source}"),
        E::Malformed { codec, message, .. } => format!("not valid {codec}: {message}"),
        E::TooLarge { len, max, .. } => format!("{len} bytes, over the {max}-byte decoding limit"),
        E::TooDeep { max, .. } => format!("nested deeper than {max} levels"),
        E::TooManyLinks { max, .. } => format!("more than {max} links"),
        other => other.to_string(),
    }
}

/// Turns a read failure into a finding.
pub(crate) fn bad_block(cid: Cid, err: ReadError) -> BadBlock {
    let problem = match err {
        ReadError::MissingBlock { .. } => "missing".to_owned(),
        ReadError::HashMismatch { .. } => "its bytes do not match its CID".to_owned(),
        ReadError::Source { source, .. } => format!("unreadable: {source}"),
        other => other.to_string(),
    };
    BadBlock { cid, problem }
}

/// The entry rows (directories, files, symlinks) of the directory DAG at `root`, in no
/// particular order. A row in `known` with the same path and CID lends its metadata (and
/// spares reading the node); other rows get what the DAG says and neutral metadata.
pub fn tree_rows(
    store: &dyn BlockSource,
    root: &Cid,
    known: &HashMap<String, EntryRow>,
    added_at: &str,
    version: i64,
) -> Result<Vec<EntryRow>, BucketError> {
    let reader = DagReader::new(store);
    let mut rows = Vec::new();
    let mut dirs = vec![(String::new(), *root)];
    while let Some((dir, cid)) = dirs.pop() {
        let children = reader.list(&cid)?;
        if let Some(pair) = children.windows(2).find(|w| w[0].name == w[1].name) {
            let path = join(&dir, &pair[0].name);
            return Err(BucketError::BadPath { path, reason: "a directory lists this name twice" });
        }
        for child in children {
            // Names may come from a stranger's CAR: they become catalog paths, so check them.
            check_entry_name(&child.name)
                .map_err(|reason| BucketError::BadPath { path: join(&dir, &child.name), reason })?;
            let path = join(&dir, &child.name);
            let tsize = child.tsize.unwrap_or(0);
            if let Some(row) = known.get(&path).filter(|r| r.cid == child.cid) {
                rows.push(EntryRow { tsize, ..row.clone() });
                if row.kind == EntryKind::Directory {
                    dirs.push((path, child.cid));
                }
                continue;
            }
            let (kind, size) = stat(&reader, &child.cid, tsize)?;
            if kind == EntryKind::Directory {
                dirs.push((path.clone(), child.cid));
            }
            rows.push(EntryRow {
                path,
                kind,
                cid: child.cid,
                size,
                tsize,
                mtime: 0,
                mode: if kind == EntryKind::Directory { 0o755 } else { 0o644 },
                content_hash: None,
                added_at: added_at.to_owned(),
                version,
                access_count: 0,
                last_accessed: None,
                object: None,
            });
        }
    }
    Ok(rows)
}

/// An entry's kind and file size. A raw block is a one-block file whose size is its `Tsize`.
pub fn stat(reader: &DagReader<'_>, cid: &Cid, tsize: u64) -> Result<(EntryKind, u64), BucketError> {
    if cid.codec() == RAW {
        return Ok((EntryKind::File, tsize));
    }
    let (node, kind) = reader.pb_node(cid)?;
    Ok(match kind {
        DataType::Directory | DataType::HamtShard => (EntryKind::Directory, 0),
        DataType::Symlink => (EntryKind::Symlink, 0),
        DataType::File | DataType::Raw | DataType::Metadata => {
            let data = node.data.unwrap_or_default();
            let msg = UnixFsData::decode(&data).map_err(|source| ReadError::Decode { cid: *cid, source })?;
            (EntryKind::File, msg.filesize.unwrap_or(0))
        }
    })
}

/// The `Tsize` a link to `cid` carries: a raw block's length, or a dag-pb node's block plus its
/// links' sizes.
pub fn link_tsize(store: &BlockStore, cid: &Cid) -> Result<u64, BucketError> {
    if cid.codec() == RAW {
        return Ok(DagReader::new(store).block(cid)?.len() as u64);
    }
    node_tsize(store, cid)
}

/// The `Tsize` a link to the dag-pb node `cid` carries: its block plus its links' sizes.
pub fn node_tsize(store: &BlockStore, cid: &Cid) -> Result<u64, BucketError> {
    let bytes = DagReader::new(store).block(cid)?;
    let node = PbNode::decode(&bytes).map_err(|source| ReadError::Decode { cid: *cid, source })?;
    Ok(bytes.len() as u64 + node.links.iter().map(|l| l.tsize.unwrap_or(0)).sum::<u64>())
}
