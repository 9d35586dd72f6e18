//! Checking a UnixFS tree from an untrusted source before anything mounts, lists or unpacks it.
//!
//! A CAR or a remote can describe far more than it carries: a directory whose two names point
//! at the same child, nested N deep, is 2^N entries in N blocks. So the walk visits every
//! *block* once (directory and file results are memoised by CID) while it counts every *entry*
//! with multiplicity, and refuses as soon as a count passes its limit. The cost is linear in the
//! distinct blocks, never in what they describe.
//!
//! The structural checks are the ones that reading and exporting rely on: every name passes
//! [`check_name`] and is unique in its directory; a raw leaf's link `Tsize` is its length (CAR
//! plans size raw leaves from it); a file node's `blocksizes` has one entry per link, each equal
//! to that child's real size, and `filesize` is its data plus their sum; a file's children are
//! files; file DAGs stay within [`MAX_FILE_DEPTH`]; HAMT shards use murmur3-x64-64 with fanout
//! 256, their bitfield names exactly the slots their links use, each entry sits in the slot its
//! name hashes to, and sub-shards are shards.

use std::collections::HashMap;

use cid::Cid;

use crate::block::{BlockSource, DAG_PB, IDENTITY, RAW};
use crate::data::{DataType, UnixFsData};
use crate::error::{ReadError, TreeError};
use crate::hamt::{MURMUR3_X64_64, hash_name};
use crate::import::EntryKind;
use crate::name::{check_name, escape_controls};
use crate::pb::PbNode;
use crate::profile::HAMT_FANOUT;
use crate::reader::{DagReader, ListEntry};

/// How deep a file DAG may go (the reader's limit too).
pub const MAX_FILE_DEPTH: usize = 256;
/// How deep a HAMT may go: one hash byte per level, 8 bytes of hash.
pub const MAX_HAMT_DEPTH: usize = 8;

/// The bounds on a tree, the same for import, restore, listing, unpacking and serving
/// (docs/design.md, "Limits on untrusted DAGs").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeLimits {
    /// Entries (files, directories, symlinks) below the root, counted with multiplicity.
    pub max_entries: u64,
    /// Directory nesting below the root.
    pub max_depth: usize,
    /// Bytes of the longest path relative to the root (`PATH_MAX`).
    pub max_path_bytes: usize,
    /// Bytes of all relative paths together: what a catalog would store.
    pub max_total_path_bytes: u64,
    /// Entries reached again through a directory already seen elsewhere in the tree. Real
    /// trees repeat a few subdirectories; a tiny DAG that describes millions of entries does
    /// nothing else.
    pub max_repeated_entries: u64,
}

impl Default for TreeLimits {
    fn default() -> Self {
        TreeLimits {
            max_entries: 1_000_000,
            max_depth: 1024,
            max_path_bytes: 4096,
            max_total_path_bytes: 256 << 20,
            max_repeated_entries: 65_536,
        }
    }
}

impl TreeLimits {
    /// Structure only: no bound on sizes, for a home's own buckets (`check --read-data`).
    pub fn structure_only() -> Self {
        TreeLimits {
            max_entries: u64::MAX,
            max_depth: usize::MAX,
            max_path_bytes: usize::MAX,
            max_total_path_bytes: u64::MAX,
            max_repeated_entries: u64::MAX,
        }
    }

    /// The defaults with another entry limit, chosen by the user: the path-bytes budget scales
    /// with it, and repeated subdirectories may then fill it.
    pub fn with_max_entries(max_entries: u64) -> Self {
        let default = TreeLimits::default();
        let scaled = (default.max_total_path_bytes / default.max_entries).saturating_mul(max_entries);
        TreeLimits {
            max_entries,
            max_total_path_bytes: scaled.max(default.max_total_path_bytes),
            max_repeated_entries: max_entries,
            ..default
        }
    }
}

/// What a checked tree holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeSummary {
    pub kind: EntryKind,
    /// Entries below the root (0 for a file or symlink).
    pub entries: u64,
    /// File bytes in the tree, counted with multiplicity.
    pub file_bytes: u64,
    /// Directory nesting below the root.
    pub depth: usize,
    /// Bytes of the longest relative path.
    pub longest_path: u64,
}

/// What a finished directory contributes wherever it appears.
#[derive(Debug, Clone, Copy, Default)]
struct DirStats {
    entries: u64,
    file_bytes: u64,
    /// Nesting levels below this directory.
    height: usize,
    /// Longest path below it, relative to it.
    longest: u64,
    /// Sum of all relative path lengths below it.
    path_bytes: u64,
}

impl DirStats {
    /// Adds an entry named `name` (`child` for a directory, else `None`) to this directory.
    fn add(&mut self, name_len: u64, child: Option<&DirStats>, file_bytes: u64) {
        self.entries = self.entries.saturating_add(1);
        self.file_bytes = self.file_bytes.saturating_add(file_bytes);
        self.path_bytes = self.path_bytes.saturating_add(name_len);
        let mut longest = name_len;
        if let Some(c) = child {
            self.entries = self.entries.saturating_add(c.entries);
            self.file_bytes = self.file_bytes.saturating_add(c.file_bytes);
            // Every path below the child is "name/" + its own relative path.
            let below = c.entries.saturating_mul(name_len + 1).saturating_add(c.path_bytes);
            self.path_bytes = self.path_bytes.saturating_add(below);
            self.height = self.height.max(c.height + 1);
            if c.entries > 0 {
                longest = name_len + 1 + c.longest;
            }
        }
        self.longest = self.longest.max(longest);
    }
}

/// One open directory of the walk.
struct Frame {
    cid: Cid,
    /// Its path from the root ("" for the root).
    path: String,
    name_len: u64,
    depth: usize,
    children: std::vec::IntoIter<ListEntry>,
    stats: DirStats,
}

/// Checks the tree at `root` against `limits` and the structural rules in the module comment.
pub fn check_tree(source: &dyn BlockSource, root: &Cid, limits: &TreeLimits) -> Result<TreeSummary, TreeError> {
    TreeCheck {
        source,
        reader: DagReader::new(source),
        limits,
        root: *root,
        dirs: HashMap::new(),
        repeated: 0,
        files: HashMap::new(),
    }
    .run()
}

struct TreeCheck<'s> {
    source: &'s dyn BlockSource,
    reader: DagReader<'s>,
    limits: &'s TreeLimits,
    root: Cid,
    /// Finished directories by multihash.
    dirs: HashMap<Vec<u8>, DirStats>,
    /// Entries counted again through `dirs`.
    repeated: u64,
    /// Checked dag-pb file nodes by multihash.
    files: HashMap<Vec<u8>, FileStats>,
}

/// A checked dag-pb file node.
#[derive(Debug, Clone, Copy)]
struct FileStats {
    size: u64,
    /// How many levels below this node the deepest node with links sits (0: this node has
    /// links and its children none); `None` for a node without links. A node reached again at
    /// another depth is only accepted if that deepest node is still within the reader's limit
    /// (found by fuzzing: a shared child first seen high up, then again deep down).
    deepest_links: Option<usize>,
}

impl FileStats {
    fn fits_at(&self, depth: usize) -> bool {
        self.deepest_links.is_none_or(|below| depth + below + 1 < MAX_FILE_DEPTH)
    }
}

/// What one entry turned out to be.
enum Entry {
    File(u64),
    Symlink,
    /// A directory already checked.
    Dir(DirStats),
    /// A directory still to walk, with its listing.
    Open(Vec<ListEntry>),
}

impl TreeCheck<'_> {
    fn run(mut self) -> Result<TreeSummary, TreeError> {
        let root = self.root;
        let summary = |kind, entries, file_bytes| TreeSummary { kind, entries, file_bytes, depth: 0, longest_path: 0 };
        let listing = match self.entry(&root, None, "")? {
            Entry::File(size) => return Ok(summary(EntryKind::File, 0, size)),
            Entry::Symlink => return Ok(summary(EntryKind::Symlink, 0, 0)),
            Entry::Dir(_) => unreachable!("nothing is memoised before the walk starts"),
            Entry::Open(listing) => listing,
        };
        let mut stack = vec![Frame {
            cid: root,
            path: String::new(),
            name_len: 0,
            depth: 0,
            children: listing.into_iter(),
            stats: DirStats::default(),
        }];
        loop {
            let frame = stack.last_mut().expect("the root frame is popped last");
            let Some(child) = frame.children.next() else {
                let done = stack.pop().expect("a frame is open");
                self.dirs.insert(done.cid.hash().to_bytes(), done.stats);
                let Some(parent) = stack.last_mut() else {
                    let s = done.stats;
                    return Ok(TreeSummary {
                        kind: EntryKind::Directory,
                        entries: s.entries,
                        file_bytes: s.file_bytes,
                        depth: s.height,
                        longest_path: s.longest,
                    });
                };
                parent.stats.add(done.name_len, Some(&done.stats), 0);
                self.bounded(&parent.stats)?;
                continue;
            };
            let (parent_path, depth) = (frame.path.clone(), frame.depth);
            let path =
                if parent_path.is_empty() { child.name.clone() } else { format!("{parent_path}/{}", child.name) };
            check_name(&child.name).map_err(|reason| TreeError::BadName { path: shown(&path), reason })?;
            if path.len() > self.limits.max_path_bytes {
                return Err(TreeError::PathTooLong { path: shown(&path), limit: self.limits.max_path_bytes });
            }
            let name_len = child.name.len() as u64;
            match self.entry(&child.cid, child.tsize, &path)? {
                Entry::File(size) => stack.last_mut().expect("open").stats.add(name_len, None, size),
                Entry::Symlink => stack.last_mut().expect("open").stats.add(name_len, None, 0),
                Entry::Dir(stats) => {
                    if depth + 1 + stats.height > self.limits.max_depth {
                        return Err(TreeError::TooDeep { path: shown(&path), limit: self.limits.max_depth });
                    }
                    if stats.entries > 0 && path.len() as u64 + 1 + stats.longest > self.limits.max_path_bytes as u64 {
                        return Err(TreeError::PathTooLong { path: shown(&path), limit: self.limits.max_path_bytes });
                    }
                    self.repeated = self.repeated.saturating_add(stats.entries);
                    if self.repeated > self.limits.max_repeated_entries {
                        let limit = self.limits.max_repeated_entries;
                        return Err(TreeError::TooManyRepeats { root: self.root, limit });
                    }
                    stack.last_mut().expect("open").stats.add(name_len, Some(&stats), 0);
                }
                Entry::Open(listing) => {
                    if depth + 1 > self.limits.max_depth {
                        return Err(TreeError::TooDeep { path: shown(&path), limit: self.limits.max_depth });
                    }
                    stack.push(Frame {
                        cid: child.cid,
                        path,
                        name_len,
                        depth: depth + 1,
                        children: listing.into_iter(),
                        stats: DirStats::default(),
                    });
                    continue;
                }
            }
            self.bounded(&stack.last().expect("open").stats)?;
        }
    }

    /// Refuses as soon as one directory's counts (a lower bound of the whole) pass a limit.
    fn bounded(&self, stats: &DirStats) -> Result<(), TreeError> {
        if stats.entries > self.limits.max_entries {
            return Err(TreeError::TooManyEntries { root: self.root, limit: self.limits.max_entries });
        }
        if stats.path_bytes > self.limits.max_total_path_bytes {
            return Err(TreeError::TooManyPathBytes { root: self.root, limit: self.limits.max_total_path_bytes });
        }
        Ok(())
    }

    /// Classifies and checks the entry at `cid`; directories come back listed, not walked.
    fn entry(&mut self, cid: &Cid, tsize: Option<u64>, path: &str) -> Result<Entry, TreeError> {
        if cid.codec() == RAW {
            return Ok(Entry::File(self.raw_len(cid, tsize, path)?));
        }
        if cid.codec() != DAG_PB {
            return Err(ReadError::UnsupportedCodec { cid: *cid, codec: cid.codec() }.into());
        }
        let key = cid.hash().to_bytes();
        if let Some(stats) = self.dirs.get(&key) {
            return Ok(Entry::Dir(*stats));
        }
        if let Some(&stats) = self.files.get(&key) {
            return Ok(Entry::File(stats.size));
        }
        let (node, kind) = self.reader.pb_node(cid)?;
        match kind {
            DataType::File | DataType::Raw => Ok(Entry::File(self.file_node(cid, node, path, 0)?.size)),
            DataType::Symlink => {
                if !node.links.is_empty() {
                    return Err(malformed(path, cid, "a symlink node has links"));
                }
                Ok(Entry::Symlink)
            }
            DataType::Directory => Ok(Entry::Open(self.plain_listing(cid, node, path)?)),
            DataType::HamtShard => {
                let mut out = Vec::new();
                self.shard(cid, &node, path, &[], &mut out)?;
                out.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
                if let Some(pair) = out.windows(2).find(|w| w[0].name == w[1].name) {
                    let dup = join(path, &pair[0].name);
                    return Err(malformed(&dup, cid, "the HAMT lists this name twice"));
                }
                Ok(Entry::Open(out))
            }
            DataType::Metadata => Err(malformed(path, cid, "UnixFS metadata nodes are not supported")),
        }
    }

    /// A raw leaf's length, which its link's `Tsize` (when given) must equal.
    fn raw_len(&self, cid: &Cid, tsize: Option<u64>, path: &str) -> Result<u64, TreeError> {
        let len = if cid.hash().code() == IDENTITY {
            cid.hash().digest().len() as u64
        } else {
            self.source
                .block_len(cid)
                .map_err(|source| ReadError::Source { cid: *cid, source })?
                .ok_or(ReadError::MissingBlock { cid: *cid })?
        };
        match tsize {
            Some(t) if t != len => {
                Err(malformed(path, cid, format!("its link's Tsize says {t} bytes, the raw block has {len}")))
            }
            _ => Ok(len),
        }
    }

    /// A dag-pb file node's size, after checking it and (once per node) its children.
    fn file_node(&mut self, cid: &Cid, node: PbNode, path: &str, depth: usize) -> Result<FileStats, TreeError> {
        // The reader keeps one frame per level and refuses a node with links at the 256th
        // (found by fuzzing: the check must refuse exactly what the reader refuses).
        if !node.links.is_empty() && depth + 1 >= MAX_FILE_DEPTH {
            return Err(malformed(path, cid, format!("the file DAG is deeper than {MAX_FILE_DEPTH} levels")));
        }
        let data = node.data.as_deref().unwrap_or_default();
        let msg = UnixFsData::decode(data).map_err(|source| ReadError::Decode { cid: *cid, source })?;
        if msg.blocksizes.len() != node.links.len() {
            let reason = format!("{} links but {} blocksizes", node.links.len(), msg.blocksizes.len());
            return Err(malformed(path, cid, reason));
        }
        let own = msg.data.map_or(0, <[u8]>::len) as u64;
        let total = msg.blocksizes.iter().try_fold(own, |acc, &b| acc.checked_add(b));
        let Some(total) = total.filter(|&t| t <= i64::MAX as u64) else {
            return Err(malformed(path, cid, "its blocksizes add up to more than 2^63 bytes"));
        };
        if let Some(filesize) = msg.filesize.filter(|&f| f != total) {
            let reason = format!("filesize says {filesize} bytes, its data and blocksizes hold {total}");
            return Err(malformed(path, cid, reason));
        }
        let mut deepest_links = (!node.links.is_empty()).then_some(0);
        for (link, &expected) in node.links.iter().zip(&msg.blocksizes) {
            let (size, child_links) = self.file_child(&link.cid, link.tsize, path, depth + 1)?;
            if let Some(below) = child_links {
                deepest_links = deepest_links.max(Some(below + 1));
            }
            if size != expected {
                let reason = format!("a blocksize says {expected} bytes, child {} holds {size}", link.cid);
                return Err(malformed(path, cid, reason));
            }
        }
        let stats = FileStats { size: total, deepest_links };
        self.files.insert(cid.hash().to_bytes(), stats);
        Ok(stats)
    }

    /// A child of a file node: a raw leaf or another file node, never anything else. Returns
    /// its size and, for a node, `FileStats::deepest_links`.
    fn file_child(
        &mut self,
        cid: &Cid,
        tsize: Option<u64>,
        path: &str,
        depth: usize,
    ) -> Result<(u64, Option<usize>), TreeError> {
        match cid.codec() {
            RAW => Ok((self.raw_len(cid, tsize, path)?, None)),
            DAG_PB => {
                if let Some(&stats) = self.files.get(&cid.hash().to_bytes()) {
                    if !stats.fits_at(depth) {
                        let reason = format!("the file DAG is deeper than {MAX_FILE_DEPTH} levels");
                        return Err(malformed(path, cid, reason));
                    }
                    return Ok((stats.size, stats.deepest_links));
                }
                let (node, kind) = self.reader.pb_node(cid)?;
                if !matches!(kind, DataType::File | DataType::Raw) {
                    return Err(malformed(path, cid, format!("a file's child is a {}", kind.name())));
                }
                let stats = self.file_node(cid, node, path, depth)?;
                Ok((stats.size, stats.deepest_links))
            }
            codec => Err(ReadError::UnsupportedCodec { cid: *cid, codec }.into()),
        }
    }

    /// A plain directory's entries: every link named, no name twice (links arrive sorted).
    fn plain_listing(&self, cid: &Cid, node: PbNode, path: &str) -> Result<Vec<ListEntry>, TreeError> {
        self.listing_fits(node.links.len())?;
        let mut out = Vec::with_capacity(node.links.len());
        for link in node.links {
            let Some(name) = link.name else {
                return Err(malformed(path, cid, "a directory link has no name"));
            };
            if out.last().is_some_and(|prev: &ListEntry| prev.name == name) {
                return Err(malformed(&join(path, &name), cid, "a directory lists this name twice"));
            }
            out.push(ListEntry { name, cid: link.cid, tsize: link.tsize });
        }
        Ok(out)
    }

    /// One listing alone may not pass the entry limit (a HAMT can be large).
    fn listing_fits(&self, n: usize) -> Result<(), TreeError> {
        if n as u64 > self.limits.max_entries {
            return Err(TreeError::TooManyEntries { root: self.root, limit: self.limits.max_entries });
        }
        Ok(())
    }

    /// Checks one HAMT shard at the slot path `slots` and collects its entries into `out`.
    fn shard(
        &self,
        cid: &Cid,
        node: &PbNode,
        path: &str,
        slots: &[u8],
        out: &mut Vec<ListEntry>,
    ) -> Result<(), TreeError> {
        let depth = slots.len();
        if depth >= MAX_HAMT_DEPTH {
            return Err(malformed(path, cid, format!("a HAMT deeper than {MAX_HAMT_DEPTH} levels")));
        }
        let data = node.data.as_deref().unwrap_or_default();
        let msg = UnixFsData::decode(data).map_err(|source| ReadError::Decode { cid: *cid, source })?;
        if msg.hash_type != Some(MURMUR3_X64_64) {
            return Err(malformed(path, cid, "a HAMT whose hash function is not murmur3-x64-64"));
        }
        if msg.fanout != Some(HAMT_FANOUT as u64) {
            return Err(malformed(path, cid, "a HAMT whose fanout is not 256"));
        }
        let used = bitfield_slots(msg.data.unwrap_or_default())
            .ok_or_else(|| malformed(path, cid, "a HAMT bitfield longer than its fanout"))?;
        if depth > 0 && node.links.is_empty() {
            return Err(malformed(path, cid, "an empty HAMT shard below the root"));
        }
        let mut linked = [false; HAMT_FANOUT];
        for link in &node.links {
            let name = link.name.as_deref().unwrap_or_default();
            let slot = slot_of(name).ok_or_else(|| malformed(path, cid, "a HAMT link without a slot prefix"))?;
            if std::mem::replace(&mut linked[slot as usize], true) {
                return Err(malformed(path, cid, format!("HAMT slot {slot:02X} is linked twice")));
            }
            let mut below = slots.to_vec();
            below.push(slot);
            if name.len() == 2 {
                let (child, kind) = self.reader.pb_node(&link.cid)?;
                if kind != DataType::HamtShard {
                    return Err(malformed(path, &link.cid, format!("a HAMT sub-shard is a {}", kind.name())));
                }
                self.shard(&link.cid, &child, path, &below, out)?;
                continue;
            }
            let entry = &name[2..];
            if hash_name(entry.as_bytes())[..below.len()] != below[..] {
                let reason = "the name does not hash to the HAMT slot it is in";
                return Err(malformed(&join(path, entry), cid, reason));
            }
            out.push(ListEntry { name: entry.to_owned(), cid: link.cid, tsize: link.tsize });
            self.listing_fits(out.len())?;
        }
        if used != linked {
            return Err(malformed(path, cid, "the HAMT bitfield does not match the slots its links use"));
        }
        Ok(())
    }
}

/// The slot a HAMT link name starts with: two upper-case hex digits, as boxo writes them.
fn slot_of(name: &str) -> Option<u8> {
    let prefix = name.get(..2)?;
    if !prefix.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)) {
        return None;
    }
    u8::from_str_radix(prefix, 16).ok()
}

/// The slots a big-endian bitfield marks (slot 0 is the lowest bit of the last byte); `None`
/// if it has more bytes than the fanout needs.
fn bitfield_slots(bits: &[u8]) -> Option<[bool; HAMT_FANOUT]> {
    if bits.len() > HAMT_FANOUT / 8 {
        return None;
    }
    let mut used = [false; HAMT_FANOUT];
    for (i, &byte) in bits.iter().rev().enumerate() {
        for bit in 0..8 {
            used[i * 8 + bit] = byte & (1 << bit) != 0;
        }
    }
    Some(used)
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() { name.to_owned() } else { format!("{parent}/{name}") }
}

/// A path as an error shows it: control characters escaped, at most a few hundred bytes.
fn shown(path: &str) -> String {
    const SHOWN: usize = 200;
    let escaped = escape_controls(path);
    if escaped.len() <= SHOWN {
        return escaped.into_owned();
    }
    let mut end = SHOWN;
    while !escaped.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &escaped[..end])
}

fn malformed(path: &str, cid: &Cid, reason: impl Into<String>) -> TreeError {
    TreeError::Malformed {
        path: if path.is_empty() { "/".into() } else { shown(path) },
        cid: *cid,
        reason: reason.into(),
    }
}
