//! Comparing two directory DAGs by CID.
//!
//! Equal CIDs mean equal subtrees, so the walk descends only where CIDs differ: a one-file
//! change between two million-file trees reads the directories on that file's path and nothing
//! else. HAMT directories are compared shard by shard for the same reason. Both trees shard
//! names by the same hash, so an entry can only sit under the same slot on both sides; a slot
//! whose link is identical on both sides is skipped without reading it.

use std::collections::BTreeMap;

use cid::Cid;

use crate::data::DataType;
use crate::error::ReadError;
use crate::import::EntryKind;
use crate::pb::PbNode;
use crate::reader::{DagReader, ListEntry, check_shard};

/// How a path differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    Added,
    Removed,
    /// The same path holds another file or symlink.
    Modified,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Modified => "modified",
        }
    }
}

/// One differing path. Directories appear only when added or removed (with everything below
/// them); a directory whose contents changed shows as the changes inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffEntry {
    pub path: String,
    pub change: Change,
    pub kind: EntryKind,
    pub old: Option<Cid>,
    pub new: Option<Cid>,
}

/// How deep directories may nest before the DAG is treated as hostile.
const MAX_DIR_DEPTH: usize = 4096;

/// Every path that differs between the directories `old` and `new`, sorted by path.
pub fn diff(reader: &DagReader<'_>, old: &Cid, new: &Cid) -> Result<Vec<DiffEntry>, ReadError> {
    let mut walk = Walk { reader, out: Vec::new() };
    if old != new {
        walk.dirs("", old, new, 0)?;
    }
    let mut out = walk.out;
    out.sort_by(|a, b| a.path.cmp(&b.path).then(a.change.cmp(&b.change)));
    Ok(out)
}

struct Walk<'r, 's> {
    reader: &'r DagReader<'s>,
    out: Vec<DiffEntry>,
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() { name.to_owned() } else { format!("{dir}/{name}") }
}

impl Walk<'_, '_> {
    fn dirs(&mut self, path: &str, old: &Cid, new: &Cid, depth: usize) -> Result<(), ReadError> {
        if depth > MAX_DIR_DEPTH {
            return Err(ReadError::TooDeep { cid: *new, limit: MAX_DIR_DEPTH });
        }
        let (a, ka) = self.reader.pb_node(old)?;
        let (b, kb) = self.reader.pb_node(new)?;
        if ka == DataType::HamtShard && kb == DataType::HamtShard {
            return self.shards(path, old, a, new, b, 0, depth);
        }
        let (a, b) = (self.reader.list(old)?, self.reader.list(new)?);
        self.lists(path, a, b, depth)
    }

    /// Compares two shards of the same level slot by slot.
    #[allow(clippy::too_many_arguments)]
    fn shards(
        &mut self,
        path: &str,
        old_cid: &Cid,
        old: PbNode,
        new_cid: &Cid,
        new: PbNode,
        level: usize,
        depth: usize,
    ) -> Result<(), ReadError> {
        check_shard(old_cid, &old, level)?;
        check_shard(new_cid, &new, level)?;
        let slots = |node: PbNode| -> BTreeMap<String, (String, Cid, Option<u64>)> {
            node.links
                .into_iter()
                .map(|l| {
                    let name = l.name.unwrap_or_default();
                    (name.get(..2).unwrap_or_default().to_owned(), (name, l.cid, l.tsize))
                })
                .collect()
        };
        let (mut a, mut b) = (slots(old), slots(new));
        let keys: std::collections::BTreeSet<String> = a.keys().chain(b.keys()).cloned().collect();
        for slot in keys {
            let (x, y) = (a.remove(&slot), b.remove(&slot));
            if let (Some(x), Some(y)) = (&x, &y) {
                if x.0 == y.0 && x.1 == y.1 {
                    continue;
                }
                if x.0.len() == 2 && y.0.len() == 2 {
                    let (xa, _) = self.reader.pb_node(&x.1)?;
                    let (yb, _) = self.reader.pb_node(&y.1)?;
                    self.shards(path, &x.1, xa, &y.1, yb, level + 1, depth)?;
                    continue;
                }
            }
            let (xs, ys) = (self.slot_entries(x, level)?, self.slot_entries(y, level)?);
            self.lists(path, xs, ys, depth)?;
        }
        Ok(())
    }

    /// The entries under one HAMT slot: the one it links, or all of its child shard's.
    fn slot_entries(
        &self,
        link: Option<(String, Cid, Option<u64>)>,
        level: usize,
    ) -> Result<Vec<ListEntry>, ReadError> {
        let mut out = Vec::new();
        match link {
            None => {}
            Some((name, cid, _)) if name.len() == 2 => {
                let (node, kind) = self.reader.pb_node(&cid)?;
                if kind != DataType::HamtShard {
                    return Err(ReadError::UnexpectedNode { cid, expected: "HAMT shard", found: kind.name() });
                }
                self.reader.collect_shard(&cid, node, level + 1, &mut out)?;
            }
            Some((name, cid, tsize)) => out.push(ListEntry { name: name[2..].to_owned(), cid, tsize }),
        }
        out.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        Ok(out)
    }

    /// Merges two name-sorted listings of the directory at `path`.
    fn lists(&mut self, path: &str, old: Vec<ListEntry>, new: Vec<ListEntry>, depth: usize) -> Result<(), ReadError> {
        let (mut a, mut b) = (old.into_iter().peekable(), new.into_iter().peekable());
        loop {
            let order = match (a.peek(), b.peek()) {
                (None, None) => return Ok(()),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(x), Some(y)) => x.name.as_bytes().cmp(y.name.as_bytes()),
            };
            match order {
                std::cmp::Ordering::Less => {
                    let x = a.next().expect("peeked");
                    self.subtree(&join(path, &x.name), Change::Removed, &x.cid, depth + 1)?;
                }
                std::cmp::Ordering::Greater => {
                    let y = b.next().expect("peeked");
                    self.subtree(&join(path, &y.name), Change::Added, &y.cid, depth + 1)?;
                }
                std::cmp::Ordering::Equal => {
                    let (x, y) = (a.next().expect("peeked"), b.next().expect("peeked"));
                    if x.cid != y.cid {
                        self.entries(&join(path, &x.name), &x.cid, &y.cid, depth + 1)?;
                    }
                }
            }
        }
    }

    /// One name on both sides with different CIDs.
    fn entries(&mut self, path: &str, old: &Cid, new: &Cid, depth: usize) -> Result<(), ReadError> {
        let (ka, kb) = (self.reader.entry_kind(old)?, self.reader.entry_kind(new)?);
        match (ka == EntryKind::Directory, kb == EntryKind::Directory) {
            (true, true) => self.dirs(path, old, new, depth),
            (false, false) => {
                self.out.push(DiffEntry {
                    path: path.to_owned(),
                    change: Change::Modified,
                    kind: kb,
                    old: Some(*old),
                    new: Some(*new),
                });
                Ok(())
            }
            _ => {
                self.subtree(path, Change::Removed, old, depth)?;
                self.subtree(path, Change::Added, new, depth)
            }
        }
    }

    /// An entry present on one side only, with everything below it.
    fn subtree(&mut self, path: &str, change: Change, cid: &Cid, depth: usize) -> Result<(), ReadError> {
        if depth > MAX_DIR_DEPTH {
            return Err(ReadError::TooDeep { cid: *cid, limit: MAX_DIR_DEPTH });
        }
        let kind = self.reader.entry_kind(cid)?;
        let (old, new) = if change == Change::Removed { (Some(*cid), None) } else { (None, Some(*cid)) };
        self.out.push(DiffEntry { path: path.to_owned(), change, kind, old, new });
        if kind == EntryKind::Directory {
            for child in self.reader.list(cid)? {
                self.subtree(&join(path, &child.name), change, &child.cid, depth + 1)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::MemoryBlocks;
    use crate::dir::{DirEntry, build_directory};
    use crate::file::Node;
    use crate::profile::Profile;

    /// A one-chunk file under raw leaves: its own raw block.
    fn file(blocks: &mut MemoryBlocks, bytes: &[u8]) -> Node {
        let cid = crate::block::sha256_cid(1, crate::block::RAW, bytes);
        crate::BlockSink::put(blocks, &cid, bytes).unwrap();
        Node { cid, filesize: bytes.len() as u64, tsize: bytes.len() as u64 }
    }

    fn dir(blocks: &mut MemoryBlocks, entries: Vec<(String, Node)>) -> Node {
        let entries = entries.into_iter().map(|(name, node)| DirEntry { name, node }).collect();
        build_directory(entries, &Profile::default(), blocks).unwrap()
    }

    /// A directory of `n` files (sharded when `n` is large), with file `changed` altered.
    fn big_dir(blocks: &mut MemoryBlocks, n: usize, changed: Option<usize>) -> Node {
        let entries = (0..n)
            .map(|i| {
                let body = if Some(i) == changed { format!("changed {i}") } else { format!("file {i}") };
                (format!("f{i:05}.txt"), file(blocks, body.as_bytes()))
            })
            .collect();
        dir(blocks, entries)
    }

    #[test]
    fn flat_and_nested_changes() {
        let mut blocks = MemoryBlocks::default();
        let a = file(&mut blocks, b"a");
        let b = file(&mut blocks, b"b");
        let b2 = file(&mut blocks, b"b2");
        let inner_old = dir(&mut blocks, vec![("x".into(), a)]);
        let inner_new = dir(&mut blocks, vec![("x".into(), a), ("y".into(), b)]);
        let old = dir(&mut blocks, vec![("b".into(), b), ("d".into(), inner_old), ("gone".into(), inner_old)]);
        let new = dir(&mut blocks, vec![("b".into(), b2), ("d".into(), inner_new), ("new".into(), a)]);
        let reader = DagReader::new(&blocks);
        let got: Vec<(String, Change)> =
            diff(&reader, &old.cid, &new.cid).unwrap().into_iter().map(|e| (e.path, e.change)).collect();
        let want = [
            ("b", Change::Modified),
            ("d/y", Change::Added),
            ("gone", Change::Removed),
            ("gone/x", Change::Removed),
            ("new", Change::Added),
        ];
        assert_eq!(got, want.map(|(p, c)| (p.to_owned(), c)));
        assert!(diff(&reader, &old.cid, &old.cid).unwrap().is_empty());
    }

    #[test]
    fn sharded_directories_differ_only_where_they_differ() {
        let mut blocks = MemoryBlocks::default();
        let old = big_dir(&mut blocks, 6000, None);
        let new = big_dir(&mut blocks, 6000, Some(4321));
        let reader = DagReader::new(&blocks);
        assert_eq!(reader.pb_node(&old.cid).unwrap().1, DataType::HamtShard);
        let got = diff(&reader, &old.cid, &new.cid).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].path.as_str(), got[0].change), ("f04321.txt", Change::Modified));
        // A plain directory against a sharded one is compared by listing.
        let small = big_dir(&mut blocks, 3, None);
        let reader = DagReader::new(&blocks);
        let got = diff(&reader, &small.cid, &old.cid).unwrap();
        assert_eq!(got.len(), 5997);
        assert!(got.iter().all(|e| e.change == Change::Added));
    }
}
