//! Files: fixed-size chunking, leaf blocks and the balanced layout.
//!
//! The balanced layout is built as a stack of partly filled levels, so memory is one batch of
//! chunks plus at most `max_links` links per level, whatever the file size. A level is only
//! closed into a parent node when one more link arrives for it; closing eagerly would give a
//! file of exactly `max_links` chunks an extra root level that Kubo does not make.
//!
//! Chunks are read in batches and hashed on all cores: SHA-256 is the cost of an import, and
//! one core tops out near 1.6 GiB/s. When the file's own SHA-256 is wanted too and leaves are
//! raw chunks on 64-byte boundaries, each leaf and the file are hashed in one pass instead
//! (`sha256x2`), in order on one thread, while this thread reads and stores.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, sync_channel};
use std::sync::{Arc, OnceLock};

use cid::Cid;
use sha2::{Digest, Sha256};

use crate::block::{BlockSink, DAG_PB, RAW, cid_from_digest};
use crate::data::{DataType, UnixFsData};
use crate::error::ImportError;
use crate::pb::{PbLink, PbNode};
use crate::profile::Profile;
use crate::sha256x2::{Sha256Stream, fused_available, leaf_and_file};
use crate::varint;

/// A finished node of a UnixFS DAG, as its parent links to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    pub cid: Cid,
    /// File bytes below this node (0 for directories and symlinks).
    pub filesize: u64,
    /// Cumulative DAG size: this block plus all blocks below it, the dag-pb `Tsize`.
    pub tsize: u64,
}

/// How many bytes of chunks are read and hashed together.
const BATCH_BYTES: usize = 8 * 1024 * 1024;

/// Imports a whole file from `reader`, streaming. `path` is only used in error messages.
pub fn import_file(
    reader: &mut dyn Read,
    path: &Path,
    profile: &Profile,
    sink: &mut dyn BlockSink,
) -> Result<Node, ImportError> {
    Ok(FileImporter::new(profile).import(reader, path, None, sink, &mut |_| {})?.node)
}

/// A file's root and, when asked for, the SHA-256 of its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportedFile {
    pub node: Node,
    pub sha256: Option<[u8; 32]>,
}

/// Imports files one after another, keeping its read buffers: a tree of small files then does
/// not allocate (and zero) a batch per file. There are two buffers, so that one batch is read
/// while the other is hashed.
#[derive(Debug)]
pub struct FileImporter<'p> {
    profile: &'p Profile,
    front: Vec<u8>,
    back: Vec<u8>,
    /// Also compute the SHA-256 of each file's bytes (a bucket's `content_hash`).
    pub content_digest: bool,
}

fn grow(buf: &mut Vec<u8>, len: usize) {
    if buf.len() < len {
        buf.resize(len, 0);
    }
}

impl<'p> FileImporter<'p> {
    pub fn new(profile: &'p Profile) -> Self {
        FileImporter { profile, front: Vec::new(), back: Vec::new(), content_digest: false }
    }

    /// Imports one file. `size_hint` is its length from `stat`; `progress` is told the bytes
    /// of each batch as it is done.
    ///
    /// A file that fits its hint is read once and hashed. A longer one is pipelined: while the
    /// cores hash batch k (and a thread digests it, if asked), this thread reads batch k+1.
    pub fn import(
        &mut self,
        reader: &mut dyn Read,
        path: &Path,
        size_hint: Option<u64>,
        sink: &mut dyn BlockSink,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportedFile, ImportError> {
        let profile = self.profile;
        let chunk = profile.chunk_size;
        let io_error = |source| ImportError::Io { path: path.into(), source };
        // Buffers hold whole chunks, so a full buffer always ends on a chunk boundary. One spare
        // byte over the hint lets a file of exactly its stat length end within the first read.
        let batch = batch_len(chunk);
        let first =
            size_hint.map_or(batch, |n| (n as usize).saturating_add(1).div_ceil(chunk) * chunk).clamp(chunk, batch);
        let mut layout = BalancedLayout::new(profile);
        let keep = sink.keeps_blocks();
        let mut digest = self.content_digest.then(Sha256Stream::new);
        // Leaves and file can share their message blocks (see `sha256x2`).
        let fused = digest.is_some() && profile.raw_leaves && chunk.is_multiple_of(64) && fused_available();

        grow(&mut self.front, first);
        let mut filled = read_full(reader, &mut self.front[..first]).map_err(io_error)?;
        if filled < first {
            // The whole file in one read; an empty file is one empty chunk, as in Kubo.
            let data = &self.front[..filled];
            let chunks: Vec<&[u8]> = if filled == 0 { vec![data] } else { data.chunks(chunk).collect() };
            let (leaves, sha256) = match digest {
                Some(mut file) if fused && chunks.len() > 1 => {
                    let leaves = fused_leaves(&chunks, &mut file);
                    (leaves, Some(file.finalize()))
                }
                _ => {
                    let (leaves, ()) = hash_leaves(&chunks, profile, keep, || ());
                    // A file of one raw leaf is its own block: the leaf's digest is the file's.
                    let sha256 = match (digest, leaves.as_slice()) {
                        (Some(_), [leaf]) if profile.raw_leaves => {
                            Some(leaf.node.cid.hash().digest().try_into().expect("sha2-256"))
                        }
                        (Some(mut d), _) => {
                            d.update(data);
                            Some(d.finalize())
                        }
                        (None, _) => None,
                    };
                    (leaves, sha256)
                }
            };
            emit(&chunks, leaves, sink, &mut layout)?;
            progress(filled as u64);
            let node = layout.finish(sink)?;
            return Ok(ImportedFile { node, sha256 });
        }
        let mut buffers = BatchBuffers::new(std::mem::take(&mut self.front), std::mem::take(&mut self.back));
        if fused {
            let result = fused_batches(reader, path, filled, &mut buffers, sink, &mut layout, progress);
            (self.front, self.back) = buffers.into_spare();
            let sha256 = result?.finalize();
            let node = layout.finish(sink)?;
            return Ok(ImportedFile { node, sha256: Some(sha256) });
        }
        let result = std::thread::scope(|scope| -> Result<Option<Sha256Stream>, ImportError> {
            // The content digest is one sequential pass: a thread of its own takes each batch
            // once it is read and may lag behind the leaf hashing by a batch, so neither waits
            // for the other at every batch.
            let (to_digest, batches) = sync_channel::<(Arc<Vec<u8>>, usize)>(1);
            let (digested, done) = channel::<()>();
            let digesting = digest.take().map(|mut d| {
                scope.spawn(move || {
                    for (batch, len) in batches {
                        d.update(&batch[..len]);
                        drop(batch);
                        let _ = digested.send(());
                    }
                    d
                })
            });
            // `more`: the last read filled its buffer, so the input may go on.
            let mut more = true;
            let mut current = 0;
            while filled > 0 {
                let front = buffers.shared(current);
                if digesting.is_some() {
                    // The digest thread ends only when this side stops sending.
                    let _ = to_digest.send((front.clone(), filled));
                }
                let chunks: Vec<&[u8]> = front[..filled].chunks(chunk).collect();
                let next_buffer = buffers.free(current, &done);
                let back = buffers.writable(next_buffer, batch);
                // The next read overlaps hashing; after a short read the input has ended.
                let (leaves, next) = hash_leaves(&chunks, profile, keep, || {
                    if more { read_full(reader, &mut back[..batch]) } else { Ok(0) }
                });
                emit(&chunks, leaves, sink, &mut layout)?;
                progress(filled as u64);
                filled = next.map_err(io_error)?;
                more = filled == batch;
                current = next_buffer;
            }
            drop(to_digest);
            Ok(digesting.map(|t| t.join().expect("the digest thread panicked")))
        });
        (self.front, self.back) = buffers.into_spare();
        digest = result?;
        let node = layout.finish(sink)?;
        Ok(ImportedFile { node, sha256: digest.map(Sha256Stream::finalize) })
    }
}

/// The batches of a long file whose leaves and content digest share one pass (`sha256x2`). The
/// file digest must see the chunks in order, so one thread hashes them all, carrying it from
/// leaf to leaf, while this thread reads the next batch and stores the last one's blocks. Two
/// buffers are enough: the hasher lets go of a batch before it hands back its leaves, and this
/// thread hands it the next batch before storing the last.
fn fused_batches(
    reader: &mut dyn Read,
    path: &Path,
    mut filled: usize,
    buffers: &mut BatchBuffers,
    sink: &mut dyn BlockSink,
    layout: &mut BalancedLayout<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<Sha256Stream, ImportError> {
    let chunk = layout.profile.chunk_size;
    let batch = batch_len(chunk);
    let io_error = |source| ImportError::Io { path: path.into(), source };
    std::thread::scope(|scope| {
        let (to_hasher, batches) = sync_channel::<(Arc<Vec<u8>>, usize)>(1);
        let (to_importer, hashed) = sync_channel::<Vec<Leaf>>(1);
        let hasher = scope.spawn(move || {
            let mut file = Sha256Stream::new();
            for (bytes, len) in batches {
                let chunks: Vec<&[u8]> = bytes[..len].chunks(chunk).collect();
                let leaves = fused_leaves(&chunks, &mut file);
                drop(chunks);
                drop(bytes);
                // An importer that stopped early has hung up; the file digest is then unused.
                if to_importer.send(leaves).is_err() {
                    break;
                }
            }
            file
        });
        let mut current = 0;
        // The hasher ends when this side hangs up, so a send fails only if it panicked, and the
        // join below reports that.
        let _ = to_hasher.send((buffers.shared(current), filled));
        // `more`: the last read filled its buffer, so the input may go on.
        let mut more = true;
        loop {
            let next = 1 - current;
            let back = buffers.writable(next, batch);
            let next_filled = if more { read_full(reader, &mut back[..batch]).map_err(io_error)? } else { 0 };
            let Ok(leaves) = hashed.recv() else { break };
            if next_filled > 0 {
                let _ = to_hasher.send((buffers.shared(next), next_filled));
            }
            let front = buffers.shared(current);
            let chunks: Vec<&[u8]> = front[..filled].chunks(chunk).collect();
            emit(&chunks, leaves, sink, layout)?;
            progress(filled as u64);
            if next_filled == 0 {
                break;
            }
            more = next_filled == batch;
            filled = next_filled;
            current = next;
        }
        drop(to_hasher);
        Ok(hasher.join().expect("the hasher thread panicked"))
    })
}

/// Bytes per batch: whole chunks, about `BATCH_BYTES`.
fn batch_len(chunk: usize) -> usize {
    (BATCH_BYTES / chunk).max(1) * chunk
}

/// The read buffers of a file imported in batches: the batch being hashed, the next being
/// read, and (with a content digest) one the digest thread may still be reading.
struct BatchBuffers {
    buffers: Vec<Arc<Vec<u8>>>,
}

/// Enough for hashing, reading and a digest one batch behind.
const MAX_BATCH_BUFFERS: usize = 3;

impl BatchBuffers {
    fn new(first: Vec<u8>, spare: Vec<u8>) -> Self {
        BatchBuffers { buffers: vec![Arc::new(first), Arc::new(spare)] }
    }

    fn shared(&self, i: usize) -> Arc<Vec<u8>> {
        self.buffers[i].clone()
    }

    /// A buffer no one else holds, other than `current`; waits for the digest thread to let
    /// one go when all are taken (each `done` message is one batch released).
    fn free(&mut self, current: usize, done: &std::sync::mpsc::Receiver<()>) -> usize {
        loop {
            let free = (0..self.buffers.len()).find(|&i| i != current && Arc::strong_count(&self.buffers[i]) == 1);
            if let Some(i) = free {
                return i;
            }
            if self.buffers.len() < MAX_BATCH_BUFFERS || done.recv().is_err() {
                self.buffers.push(Arc::new(Vec::new()));
                return self.buffers.len() - 1;
            }
        }
    }

    /// Buffer `i`, which `free` returned, at least `len` bytes long.
    fn writable(&mut self, i: usize, len: usize) -> &mut Vec<u8> {
        let buffer = Arc::get_mut(&mut self.buffers[i]).expect("a free buffer has one owner");
        grow(buffer, len);
        buffer
    }

    /// Two buffers to keep for the next file (the digest thread has let go of all by now).
    fn into_spare(self) -> (Vec<u8>, Vec<u8>) {
        let mut spare = self.buffers.into_iter().filter_map(|b| Arc::try_unwrap(b).ok());
        (spare.next().unwrap_or_default(), spare.next().unwrap_or_default())
    }
}

/// Stores leaves in order and adds them to the layout.
fn emit(
    chunks: &[&[u8]],
    leaves: Vec<Leaf>,
    sink: &mut dyn BlockSink,
    layout: &mut BalancedLayout<'_>,
) -> Result<(), ImportError> {
    for (leaf, chunk_bytes) in leaves.into_iter().zip(chunks) {
        put(sink, &leaf.node.cid, leaf.block.as_deref().unwrap_or(chunk_bytes))?;
        layout.push(leaf.node, sink)?;
    }
    Ok(())
}

/// Reads until `buf` is full or the input ends, so chunk boundaries never depend on how the
/// input happened to be delivered.
fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

pub(crate) fn put(sink: &mut dyn BlockSink, cid: &Cid, bytes: &[u8]) -> Result<(), ImportError> {
    sink.put(cid, bytes).map_err(|source| ImportError::Sink { cid: *cid, source })
}

/// A hashed leaf. `block` holds encoded bytes only for dag-pb leaves that a sink will keep; raw
/// leaves are the chunk itself.
struct Leaf {
    node: Node,
    block: Option<Vec<u8>>,
}

/// Hashes a batch of chunks into leaves, in order, on all cores, while this thread runs
/// `meanwhile` (the next read). A single chunk is hashed here, with no thread started.
fn hash_leaves<R: Send>(
    chunks: &[&[u8]],
    profile: &Profile,
    keep: bool,
    meanwhile: impl FnOnce() -> R,
) -> (Vec<Leaf>, R) {
    static CORES: OnceLock<usize> = OnceLock::new();
    // available_parallelism reads cgroup files on every call; once per process is enough.
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if cores == 1 || chunks.len() == 1 {
        let leaves = chunks.iter().map(|c| make_leaf(c, profile, keep)).collect();
        return (leaves, meanwhile());
    }
    // Workers take chunks one at a time, and this thread joins them once its read is done, so
    // no core idles while another finishes a fixed share.
    let next = AtomicUsize::new(0);
    let slots: Vec<OnceLock<Leaf>> = chunks.iter().map(|_| OnceLock::new()).collect();
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(chunk) = chunks.get(i) else { break };
            let _ = slots[i].set(make_leaf(chunk, profile, keep));
        }
    };
    let other = std::thread::scope(|scope| {
        for _ in 0..cores.min(chunks.len()) {
            scope.spawn(work);
        }
        let other = meanwhile();
        work();
        other
    });
    let leaves = slots.into_iter().map(|slot| slot.into_inner().expect("every chunk hashed")).collect();
    (leaves, other)
}

/// Raw leaves of `chunks`, in order, with `file` carried over their bytes.
fn fused_leaves(chunks: &[&[u8]], file: &mut Sha256Stream) -> Vec<Leaf> {
    chunks.iter().map(|c| raw_leaf(&leaf_and_file(c, file), c.len())).collect()
}

/// The raw leaf of a chunk of `len` bytes with this SHA-256.
fn raw_leaf(digest: &[u8; 32], len: usize) -> Leaf {
    let cid = cid_from_digest(1, RAW, digest);
    Leaf { node: Node { cid, filesize: len as u64, tsize: len as u64 }, block: None }
}

/// Makes one leaf: a raw block, or a dag-pb node holding a UnixFS `File` with the chunk.
fn make_leaf(chunk: &[u8], profile: &Profile, keep: bool) -> Leaf {
    let filesize = chunk.len() as u64;
    if profile.raw_leaves {
        return raw_leaf(&Sha256::digest(chunk).into(), chunk.len());
    }
    // PBNode{Data: Data{Type: File, Data: chunk, filesize}}, hashed in three pieces so that the
    // chunk is copied only when a sink keeps the block.
    let (prefix, suffix) = pb_leaf_frame(chunk.len());
    let digest: [u8; 32] =
        Sha256::new().chain_update(&prefix).chain_update(chunk).chain_update(&suffix).finalize().into();
    let cid = cid_from_digest(profile.cid_version, DAG_PB, &digest);
    let tsize = (prefix.len() + chunk.len() + suffix.len()) as u64;
    let block = keep.then(|| [prefix.as_slice(), chunk, suffix.as_slice()].concat());
    Leaf { node: Node { cid, filesize, tsize }, block }
}

/// The bytes before and after the chunk in a dag-pb file leaf. An empty chunk has no `Data`
/// field at all, which is how Kubo writes the empty file.
fn pb_leaf_frame(len: usize) -> (Vec<u8>, Vec<u8>) {
    let mut unixfs_head = vec![0x08, DataType::File as u8];
    if len > 0 {
        unixfs_head.push(0x12);
        varint::put(&mut unixfs_head, len as u64);
    }
    let mut suffix = vec![0x18];
    varint::put(&mut suffix, len as u64);
    let unixfs_len = unixfs_head.len() + len + suffix.len();
    let mut prefix = vec![0x0a];
    varint::put(&mut prefix, unixfs_len as u64);
    prefix.extend_from_slice(&unixfs_head);
    (prefix, suffix)
}

/// The balanced DAG builder: leaves go in, in order; the root comes out.
pub struct BalancedLayout<'p> {
    profile: &'p Profile,
    /// `levels[0]` holds leaves, `levels[n]` holds nodes of height n.
    levels: Vec<Vec<Node>>,
}

impl<'p> BalancedLayout<'p> {
    pub fn new(profile: &'p Profile) -> Self {
        BalancedLayout { profile, levels: vec![Vec::new()] }
    }

    /// Adds the next node at `level`, closing that level into a parent first if it is full.
    fn push_at(&mut self, level: usize, node: Node, sink: &mut dyn BlockSink) -> Result<(), ImportError> {
        if self.levels[level].len() == self.profile.max_links {
            let children = std::mem::take(&mut self.levels[level]);
            let parent = self.parent(&children, sink)?;
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.push_at(level + 1, parent, sink)?;
        }
        self.levels[level].push(node);
        Ok(())
    }

    /// Adds the next leaf.
    pub fn push(&mut self, leaf: Node, sink: &mut dyn BlockSink) -> Result<(), ImportError> {
        self.push_at(0, leaf, sink)
    }

    /// Closes every open level from the bottom up and returns the root. A single leaf is its
    /// own root.
    pub fn finish(mut self, sink: &mut dyn BlockSink) -> Result<Node, ImportError> {
        let mut level = 0;
        loop {
            let top = level + 1 == self.levels.len();
            let nodes = std::mem::take(&mut self.levels[level]);
            if top && nodes.len() == 1 {
                return Ok(nodes[0]);
            }
            let parent = self.parent(&nodes, sink)?;
            if top {
                return Ok(parent);
            }
            self.push_at(level + 1, parent, sink)?;
            level += 1;
        }
    }

    /// Encodes and stores an internal file node over `children`.
    fn parent(&self, children: &[Node], sink: &mut dyn BlockSink) -> Result<Node, ImportError> {
        let filesize = children.iter().map(|c| c.filesize).sum();
        let mut data = UnixFsData::new(DataType::File);
        data.filesize = Some(filesize);
        data.blocksizes = children.iter().map(|c| c.filesize).collect();
        let node = PbNode {
            links: children
                .iter()
                .map(|c| PbLink { cid: c.cid, name: Some(String::new()), tsize: Some(c.tsize) })
                .collect(),
            data: Some(data.encode()),
        };
        let bytes = node.encode();
        let cid = cid_from_digest(self.profile.cid_version, DAG_PB, &Sha256::digest(&bytes).into());
        put(sink, &cid, &bytes)?;
        let tsize = bytes.len() as u64 + children.iter().map(|c| c.tsize).sum::<u64>();
        Ok(Node { cid, filesize, tsize })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::{MemoryBlocks, NullSink};

    fn import(bytes: &[u8], profile: &Profile) -> (Node, MemoryBlocks) {
        let mut blocks = MemoryBlocks::new();
        let node = import_file(&mut &bytes[..], Path::new("t"), profile, &mut blocks).unwrap();
        (node, blocks)
    }

    /// Hands out at most 7 bytes per read.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.0.len()).min(7);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn short_reads_and_wrong_hints_do_not_move_chunk_boundaries() {
        let profile = Profile { chunk_size: 1000, ..Profile::UNIXFS_V1_2025 };
        let data: Vec<u8> = (0..40_000_017u32).map(|i| (i % 253) as u8).collect();
        let expected = import(&data, &profile).0;
        let mut importer = FileImporter::new(&profile);
        importer.content_digest = true;
        let sha: [u8; 32] = Sha256::digest(&data).into();
        for hint in [None, Some(0), Some(10), Some(40_000_017), Some(u64::MAX)] {
            let got = importer.import(&mut &data[..], Path::new("t"), hint, &mut NullSink, &mut |_| {}).unwrap();
            assert_eq!(got.node, expected, "hint {hint:?}");
            assert_eq!(got.sha256, Some(sha), "content digest with hint {hint:?}");
        }
        let small = &data[..123_457];
        let got = import_file(&mut Trickle(small), Path::new("t"), &profile, &mut NullSink).unwrap();
        assert_eq!(got, import(small, &profile).0);
    }

    #[test]
    fn fused_batches_give_the_same_leaves_and_digest_across_batch_edges() {
        // Raw leaves on 64-byte boundaries: leaves and file digest share a pass (where the CPU
        // has SHA-NI) over several batches, ending inside one and exactly at one's end.
        let profile = Profile { chunk_size: 64 * 1024, ..Profile::UNIXFS_V1_2025 };
        let batch = batch_len(profile.chunk_size);
        for len in [2 * batch + 64 * 1024 * 3 + 17, 2 * batch] {
            let data: Vec<u8> = (0..len as u64).map(|i| (i.wrapping_mul(0x9E37_79B9) >> 13) as u8).collect();
            let (expected, mut expected_blocks) = import(&data, &profile);
            let sha: [u8; 32] = Sha256::digest(&data).into();
            let mut importer = FileImporter::new(&profile);
            importer.content_digest = true;
            for hint in [None, Some(0), Some(10), Some(len as u64), Some(u64::MAX)] {
                let mut seen = 0;
                let mut blocks = MemoryBlocks::new();
                let got =
                    importer.import(&mut &data[..], Path::new("t"), hint, &mut blocks, &mut |n| seen += n).unwrap();
                assert_eq!(got.node, expected, "{len} bytes, hint {hint:?}");
                assert_eq!(got.sha256, Some(sha), "{len} bytes, hint {hint:?}");
                assert_eq!(seen, len as u64, "progress of {len} bytes, hint {hint:?}");
                assert!(blocks.blocks_mut() == expected_blocks.blocks_mut(), "blocks of {len} bytes, hint {hint:?}");
            }
            let got = importer.import(&mut Trickle(&data), Path::new("t"), None, &mut NullSink, &mut |_| {}).unwrap();
            assert_eq!((got.node, got.sha256), (expected, Some(sha)), "{len} bytes in short reads");
        }
    }

    #[test]
    fn the_content_digest_is_the_sha256_of_the_bytes_in_every_shape() {
        // One raw leaf (its digest is reused), several leaves, dag-pb leaves, and empty files.
        for profile in [Profile::UNIXFS_V1_2025, Profile::UNIXFS_V0_2015] {
            for len in [
                0,
                1,
                1000,
                profile.chunk_size - 1,
                profile.chunk_size,
                profile.chunk_size + 1,
                3 * profile.chunk_size + 5,
            ] {
                let data: Vec<u8> = (0..len as u32).map(|i| (i.wrapping_mul(31) >> 3) as u8).collect();
                let mut importer = FileImporter::new(&profile);
                importer.content_digest = true;
                let hint = Some(len as u64);
                let got = importer.import(&mut &data[..], Path::new("t"), hint, &mut NullSink, &mut |_| {}).unwrap();
                let sha: [u8; 32] = Sha256::digest(&data).into();
                assert_eq!(got.sha256, Some(sha), "{len} bytes, v{}", profile.cid_version);
            }
        }
    }

    #[test]
    fn empty_file_cids_match_kubo() {
        assert_eq!(
            import(b"", &Profile::UNIXFS_V1_2025).0.cid.to_string(),
            "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
        );
        assert_eq!(
            import(b"", &Profile::UNIXFS_V0_2015).0.cid.to_string(),
            "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"
        );
    }

    #[test]
    fn hello_world_cids_match_kubo() {
        assert_eq!(
            import(b"hello world", &Profile::UNIXFS_V0_2015).0.cid.to_string(),
            "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"
        );
    }

    #[test]
    fn streamed_pb_leaf_equals_encoded_node() {
        let chunk = b"some bytes";
        let leaf = make_leaf(chunk, &Profile::UNIXFS_V0_2015, true);
        let mut data = UnixFsData::new(DataType::File);
        data.data = Some(chunk);
        data.filesize = Some(chunk.len() as u64);
        let node = PbNode { links: vec![], data: Some(data.encode()) };
        assert_eq!(leaf.block.unwrap(), node.encode());
    }

    #[test]
    fn layout_depth_follows_max_links() {
        let profile = Profile { chunk_size: 1, max_links: 3, ..Profile::UNIXFS_V1_2025 };
        // 3 chunks: one root over 3 leaves. 4 chunks: a root over [node(3), node(1)].
        let (root, blocks) = import(b"abc", &profile);
        let node = PbNode::decode(&blocks.clone().blocks_mut()[&root.cid]).unwrap();
        assert_eq!(node.links.len(), 3);
        let (root, mut blocks) = import(b"abcd", &profile);
        let node = PbNode::decode(&blocks.blocks_mut()[&root.cid]).unwrap();
        assert_eq!(node.links.len(), 2);
        assert_eq!(root.filesize, 4);
        let first = PbNode::decode(&blocks.blocks_mut()[&node.links[0].cid]).unwrap();
        let second = PbNode::decode(&blocks.blocks_mut()[&node.links[1].cid]).unwrap();
        assert_eq!((first.links.len(), second.links.len()), (3, 1));
    }

    #[test]
    fn tsize_is_the_sum_of_blocks() {
        let profile = Profile { chunk_size: 4, max_links: 2, ..Profile::UNIXFS_V0_2015 };
        let bytes: Vec<u8> = (0..37).collect();
        let (root, mut blocks) = import(&bytes, &profile);
        let total: usize = blocks.blocks_mut().values().map(Vec::len).sum();
        assert_eq!(root.tsize, total as u64);
    }
}
