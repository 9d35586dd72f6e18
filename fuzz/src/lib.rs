//! What the DAG-level fuzz targets (`unixfs_tree`, `car_import`) share: the input framing, a
//! block source that gives up after a budget, and a walk of a checked tree with `DagReader`.
//!
//! # Framing
//!
//! A fuzz input is a list of blocks, each `u8 kind | LEB128 length | bytes`:
//!
//! | kind % 4 | CID of the block |
//! |---|---|
//! | 0, 3 | CIDv1, raw (0x55) |
//! | 1 | CIDv1, dag-pb (0x70) |
//! | 2 | CIDv0 (dag-pb) |
//!
//! always sha2-256 of the bytes ([`sha256_cid`]). The first block is the root. A length that
//! runs past the end takes what is left; a varint longer than 10 bytes ends the list. Every
//! input decodes to something, so the fuzzer never wastes a mutation on a framing error.
//! `fuzz/make_dag_seeds.py` writes seeds in this framing; `fuzz/frame_to_car.py` turns an input
//! into the CAR `car_import` builds from it, to reproduce a finding with the CLI.

use std::cell::Cell;
use std::error::Error;
use std::io::{self, Write};

use cid::Cid;
use ipfs_kit_unixfs::block::{DAG_PB, RAW, sha256_cid};
use ipfs_kit_unixfs::reader::DagReader;
use ipfs_kit_unixfs::{BlockSink, BlockSource, EntryKind, MemoryBlocks, TreeLimits};

/// More blocks than any seed needs; bounds the work per input.
pub const MAX_BLOCKS: usize = 8192;

/// The limits both DAG targets check trees against: small, so refusals are reachable.
pub const LIMITS: TreeLimits = TreeLimits {
    max_entries: 10_000,
    max_depth: 64,
    max_path_bytes: 1024,
    max_total_path_bytes: 1 << 20,
    max_repeated_entries: 1_000,
};

/// One framed block.
pub struct Block<'a> {
    pub cid: Cid,
    pub data: &'a [u8],
}

/// Decodes the framing described in the module comment.
pub fn blocks(mut input: &[u8]) -> Vec<Block<'_>> {
    let mut out = Vec::new();
    while let Some((&kind, rest)) = input.split_first() {
        if out.len() == MAX_BLOCKS {
            break;
        }
        let Some((len, rest)) = leb128(rest) else { break };
        let len = usize::try_from(len).unwrap_or(usize::MAX).min(rest.len());
        let (data, rest) = rest.split_at(len);
        let cid = match kind % 4 {
            1 => sha256_cid(1, DAG_PB, data),
            2 => sha256_cid(0, DAG_PB, data),
            _ => sha256_cid(1, RAW, data),
        };
        out.push(Block { cid, data });
        input = rest;
    }
    out
}

/// An unsigned LEB128 value (non-minimal forms allowed) and what follows it.
fn leb128(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f).checked_shl(7 * i as u32).unwrap_or(0);
        if b & 0x80 == 0 {
            return Some((value, &bytes[i + 1..]));
        }
    }
    None
}

/// The blocks in memory, each under its CIDv1 raw, CIDv1 dag-pb and CIDv0 names: the stores the
/// checker runs against in ipfs-kit (the block store, a CAR) look blocks up by multihash, so a
/// link may name a block under any codec.
pub fn memory_blocks(blocks: &[Block<'_>]) -> MemoryBlocks {
    let mut mem = MemoryBlocks::new();
    for b in blocks {
        for (version, codec) in [(1, RAW), (1, DAG_PB), (0, DAG_PB)] {
            let alias = sha256_cid(version, codec, b.data);
            mem.put(&alias, b.data).expect("memory never refuses");
        }
    }
    mem
}

/// The error a [`Budget`] returns once spent.
#[derive(Debug)]
pub struct OutOfBudget;

impl std::fmt::Display for OutOfBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("fuzz read budget spent")
    }
}

impl Error for OutOfBudget {}

/// A source that fails every `get` once `max_gets` blocks or `max_bytes` bytes have been read,
/// so walking a DAG that describes far more than it holds ends quickly. `spent()` tells such
/// an inconclusive end from a real failure.
pub struct Budget<'s> {
    inner: &'s dyn BlockSource,
    gets: Cell<u64>,
    bytes: Cell<u64>,
    max_gets: u64,
    max_bytes: u64,
    spent: Cell<bool>,
}

impl<'s> Budget<'s> {
    pub fn new(inner: &'s dyn BlockSource, max_gets: u64, max_bytes: u64) -> Self {
        Budget { inner, gets: Cell::new(0), bytes: Cell::new(0), max_gets, max_bytes, spent: Cell::new(false) }
    }

    pub fn spent(&self) -> bool {
        self.spent.get()
    }

    pub fn gets(&self) -> u64 {
        self.gets.get()
    }
}

impl BlockSource for Budget<'_> {
    fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>, Box<dyn Error + Send + Sync>> {
        if self.spent.get() || self.gets.get() >= self.max_gets {
            self.spent.set(true);
            return Err(Box::new(OutOfBudget));
        }
        let block = self.inner.get(cid)?;
        self.gets.set(self.gets.get() + 1);
        let bytes = self.bytes.get() + block.as_ref().map_or(0, |b| b.len() as u64);
        self.bytes.set(bytes);
        if bytes > self.max_bytes {
            self.spent.set(true);
            return Err(Box::new(OutOfBudget));
        }
        Ok(block)
    }

    fn block_len(&self, cid: &Cid) -> Result<Option<u64>, Box<dyn Error + Send + Sync>> {
        self.inner.block_len(cid)
    }
}

/// What reading a whole tree with `DagReader` found, in the terms of `TreeSummary`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Walked {
    pub entries: u64,
    pub file_bytes: u64,
    /// Directory nesting below the root.
    pub depth: usize,
    /// Bytes of the longest relative path.
    pub longest_path: u64,
}

/// Counts what is written to it.
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reads the whole tree at `root` as a consumer would: every directory listed (explicit stack,
/// entries with multiplicity), every file `cat` to the end, every symlink's target read.
pub fn walk(reader: &DagReader<'_>, root: &Cid) -> Result<(EntryKind, Walked), Box<dyn Error>> {
    let mut walked = Walked::default();
    let kind = reader.entry_kind(root)?;
    match kind {
        EntryKind::File => walked.file_bytes = cat(reader, root)?,
        EntryKind::Symlink => drop(reader.read_link(root)?),
        EntryKind::Directory => {
            let mut stack = vec![(String::new(), reader.list(root)?.into_iter())];
            while let Some((dir, entries)) = stack.last_mut() {
                let Some(entry) = entries.next() else {
                    stack.pop();
                    continue;
                };
                let path = if dir.is_empty() { entry.name } else { format!("{dir}/{}", entry.name) };
                walked.entries += 1;
                walked.longest_path = walked.longest_path.max(path.len() as u64);
                match reader.entry_kind(&entry.cid)? {
                    EntryKind::File => walked.file_bytes += cat(reader, &entry.cid)?,
                    EntryKind::Symlink => drop(reader.read_link(&entry.cid)?),
                    EntryKind::Directory => {
                        walked.depth = walked.depth.max(stack.len());
                        let listing = reader.list(&entry.cid)?;
                        stack.push((path, listing.into_iter()));
                    }
                }
            }
        }
    }
    Ok((kind, walked))
}

fn cat(reader: &DagReader<'_>, cid: &Cid) -> Result<u64, Box<dyn Error>> {
    let mut sink = Counter(0);
    io::copy(&mut reader.cat(cid)?, &mut sink)?;
    Ok(sink.0)
}

/// A per-process scratch directory `<base>/ipfs-kit-fuzz-<tag>-<pid>`, made empty, under
/// /dev/shm when there is one. Directories of fuzz processes that have exited are removed first:
/// libFuzzer exits without unwinding, so nothing removes them at the end.
pub fn scratch_dir(tag: &str) -> std::path::PathBuf {
    use std::path::{Path, PathBuf};
    let base = if Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    let prefix = format!("ipfs-kit-fuzz-{tag}-");
    if let Ok(entries) = std::fs::read_dir(&base) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else { continue };
            if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = base.join(format!("{prefix}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}
