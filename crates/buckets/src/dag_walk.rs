//! The entry rows of a directory DAG in path order, holding one listing per open directory.
//!
//! Why path order: the catalog gives a bucket's rows sorted by path (SQLite compares text as
//! bytes, as `str`'s `Ord` does), so `check` can compare a DAG with its catalog by a merge-join
//! that holds one row of each side, instead of a map of every row. A depth-first walk alone does
//! not give that order: `a.txt` sorts between `a` and `a/x` ('.' < '/'). So a child is returned
//! at its name, and a directory's contents at its name followed by '/', whichever comes first;
//! all of `a/…` sorts before any sibling after `a/`, so the contents of one directory are
//! returned whole before the walk goes on in its parent.
//!
//! Whether a child is a directory is the caller's to say (`enter`): the catalog usually knows
//! it, which spares reading the node.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use cid::Cid;
use ipfs_kit_unixfs::reader::ListEntry;
use ipfs_kit_unixfs::{BlockSource, DagReader};

use crate::error::BucketError;
use crate::names::{check_entry_name, join};

/// One entry of the DAG, as its parent's link describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DagChild {
    pub path: String,
    pub cid: Cid,
    /// The link's `Tsize` (0 when it has none).
    pub tsize: u64,
}

/// An open directory.
struct Frame {
    dir: String,
    /// Children not returned yet, by name.
    rows: VecDeque<ListEntry>,
    /// Children entered (`enter`), keyed by name + '/', the smallest first.
    entered: BinaryHeap<Reverse<(String, Cid)>>,
}

/// Walks the directory DAG at a root in path order (see the module comment). Memory is one
/// listing per directory on the current path: O(depth × widest directory), not O(entries).
pub struct DagWalk<'s> {
    reader: DagReader<'s>,
    stack: Vec<Frame>,
}

impl<'s> DagWalk<'s> {
    pub fn new(store: &'s dyn BlockSource, root: &Cid) -> Result<Self, BucketError> {
        let mut walk = DagWalk { reader: DagReader::new(store), stack: Vec::new() };
        let frame = walk.open(String::new(), root)?;
        walk.stack.push(frame);
        Ok(walk)
    }

    pub fn reader(&self) -> &DagReader<'s> {
        &self.reader
    }

    /// Lists a directory, refusing a name listed twice and names that cannot be catalog paths
    /// (they may come from a stranger's CAR).
    fn open(&self, dir: String, cid: &Cid) -> Result<Frame, BucketError> {
        let children = self.reader.list(cid)?;
        if let Some(pair) = children.windows(2).find(|w| w[0].name == w[1].name) {
            let path = join(&dir, &pair[0].name);
            return Err(BucketError::BadPath { path, reason: "a directory lists this name twice" });
        }
        for child in &children {
            check_entry_name(&child.name)
                .map_err(|reason| BucketError::BadPath { path: join(&dir, &child.name), reason })?;
        }
        Ok(Frame { dir, rows: children.into(), entered: BinaryHeap::new() })
    }

    /// The next entry in path order, or `None` when the walk is done.
    pub fn next_child(&mut self) -> Result<Option<DagChild>, BucketError> {
        loop {
            let Some(top) = self.stack.last_mut() else { return Ok(None) };
            let row_first = match (top.rows.front(), top.entered.peek()) {
                (None, None) => {
                    self.stack.pop();
                    continue;
                }
                (Some(row), Some(Reverse((key, _)))) => row.name.as_str() < key.as_str(),
                (row, _) => row.is_some(),
            };
            if row_first {
                let child = top.rows.pop_front().expect("peeked");
                let path = join(&top.dir, &child.name);
                return Ok(Some(DagChild { path, cid: child.cid, tsize: child.tsize.unwrap_or(0) }));
            }
            let Reverse((key, cid)) = top.entered.pop().expect("peeked");
            let dir = join(&top.dir, key.strip_suffix('/').expect("keys end in '/'"));
            let frame = self.open(dir, &cid)?;
            self.stack.push(frame);
        }
    }

    /// Walks into `child`, the entry `next_child` returned last, which is a directory: its
    /// entries come where their paths sort.
    pub fn enter(&mut self, child: &DagChild) {
        let top = self.stack.last_mut().expect("a child was returned from an open directory");
        let name = child.path.rsplit('/').next().unwrap_or(&child.path);
        top.entered.push(Reverse((format!("{name}/"), child.cid)));
    }
}
