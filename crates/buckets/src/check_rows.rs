//! `check`'s comparison of a bucket's catalog rows with its DAG and its Parquet index, in one
//! pass whose memory does not grow with the number of files.
//!
//! All three sides are sorted by path: the catalog by its primary key, the DAG by `DagWalk`, the
//! index because it is written from the catalog in path order. So one scan of the catalog drives
//! a merge-join with each, holding one row of each side (and the walk's open directories), where
//! a map of every row would take 100 MB for a million files. The findings are those of comparing
//! whole maps: each DAG entry against the catalog row at its path, each catalog row the DAG does
//! not have, each index row against the catalog row at its path, and a count of the files with
//! no index row. An index out of path order (written by something else, or damaged) is still
//! compared row by row: from its first row out of order on, each row is looked up in the catalog.

use std::fs::File;
use std::path::Path;

use cid::Cid;
use ipfs_kit_unixfs::{BlockSource, EntryKind};
use rusqlite::Connection;

use crate::catalog::{self, EntryRow};
use crate::check::ROWS_LISTED;
use crate::dag::stat;
use crate::dag_walk::{DagChild, DagWalk};
use crate::error::BucketError;
use crate::index::IndexRows;

/// Problems of one kind: the first `ROWS_LISTED` kept (in the order found, or the smallest) and
/// the rest only counted, so a bucket whose every row disagrees costs no more memory.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    pub kept: Vec<String>,
    pub total: usize,
    smallest: bool,
}

impl Problems {
    fn smallest() -> Self {
        Problems { smallest: true, ..Problems::default() }
    }

    fn push(&mut self, problem: String) {
        self.total += 1;
        if self.smallest {
            let at = self.kept.partition_point(|k| *k < problem);
            if at < ROWS_LISTED {
                self.kept.insert(at, problem);
                self.kept.truncate(ROWS_LISTED);
            }
        } else if self.kept.len() < ROWS_LISTED {
            self.kept.push(problem);
        }
    }

    /// How many were found beyond those kept.
    pub fn more(&self) -> usize {
        self.total - self.kept.len()
    }
}

/// What the comparison found.
pub(crate) struct RowFindings {
    /// `None` when the DAG was not compared (it has bad blocks); an error when it cannot be walked.
    pub dag: Result<Option<Problems>, BucketError>,
    /// Disagreements with the index (listed in index order, the smallest first for the DAG).
    pub index: Problems,
}

/// The comparison in progress: `row` takes the catalog rows in path order, `finish` sums up.
pub(crate) struct RowCheck<'s> {
    dag: Result<Option<DagSide<'s>>, BucketError>,
    dag_problems: Problems,
    index: IndexSide,
}

impl<'s> RowCheck<'s> {
    /// Compares with the DAG at `root` if `with_dag`, and with the index file at `index`.
    pub fn new(store: &'s dyn BlockSource, root: &Cid, with_dag: bool, index: &Path) -> Self {
        let dag = match with_dag {
            false => Ok(None),
            true => DagWalk::new(store, root).and_then(|mut walk| {
                let next = walk.next_child()?;
                Ok(Some(DagSide { walk, next }))
            }),
        };
        RowCheck { dag, dag_problems: Problems::smallest(), index: IndexSide::open(index) }
    }

    /// The next catalog row, in path order.
    pub fn row(&mut self, row: EntryRow) {
        if let Ok(Some(side)) = &mut self.dag
            && let Err(err) = side.row(&row, &mut self.dag_problems)
        {
            self.dag = Err(err);
        }
        self.index.row(&row);
    }

    /// After the last catalog row. An error is the catalog's (a row the index names could not
    /// be read).
    pub fn finish(mut self, db: &Connection, bucket: &str) -> Result<RowFindings, BucketError> {
        if let Ok(Some(side)) = &mut self.dag
            && let Err(err) = side.finish(&mut self.dag_problems)
        {
            self.dag = Err(err);
        }
        let index = self.index.finish(db, bucket)?;
        let dag = self.dag.map(|side| side.map(|_| self.dag_problems));
        Ok(RowFindings { dag, index })
    }
}

/// The DAG's side of the merge: the walk and its next entry.
struct DagSide<'s> {
    walk: DagWalk<'s>,
    next: Option<DagChild>,
}

impl DagSide<'_> {
    fn row(&mut self, c: &EntryRow, problems: &mut Problems) -> Result<(), BucketError> {
        while let Some(d) = self.next.take() {
            if d.path < c.path {
                problems.push(format!("{:?} is in the DAG but not in the catalog", d.path));
                self.step(d, None)?;
                continue;
            }
            if d.path == c.path {
                if c.cid != d.cid || c.tsize != d.tsize {
                    problems.push(format!(
                        "{:?}: catalog has {} (Tsize {}), the DAG {} (Tsize {})",
                        d.path, c.cid, c.tsize, d.cid, d.tsize
                    ));
                }
                return self.step(d, Some(c));
            }
            self.next = Some(d);
            break;
        }
        problems.push(format!("{:?} is in the catalog but not in the DAG", c.path));
        Ok(())
    }

    /// The DAG entries after the catalog's last row.
    fn finish(&mut self, problems: &mut Problems) -> Result<(), BucketError> {
        while let Some(d) = self.next.take() {
            problems.push(format!("{:?} is in the DAG but not in the catalog", d.path));
            self.step(d, None)?;
        }
        Ok(())
    }

    /// Walks into `d` if it is a directory, then moves on. A catalog row with the same CID says
    /// what it is; otherwise its node is read.
    fn step(&mut self, d: DagChild, catalog: Option<&EntryRow>) -> Result<(), BucketError> {
        let kind = match catalog.filter(|c| c.cid == d.cid) {
            Some(c) => c.kind,
            None => stat(self.walk.reader(), &d.cid, d.tsize)?.0,
        };
        if kind == EntryKind::Directory {
            self.walk.enter(&d);
        }
        self.next = self.walk.next_child()?;
        Ok(())
    }
}

/// The index's side of the merge.
struct IndexSide {
    path: std::path::PathBuf,
    /// The file's rows; once it cannot be read, why (then that is the only finding).
    rows: Result<IndexRows, String>,
    batch: std::vec::IntoIter<EntryRow>,
    next: Option<EntryRow>,
    /// The path of the row before `next`.
    last: Option<String>,
    /// Set at the first row not after the one before it: from there on rows are looked up.
    unordered: bool,
    /// Index rows equal to their catalog row.
    matched: usize,
    /// Files and symlinks in the catalog.
    files: usize,
    problems: Problems,
}

impl IndexSide {
    fn open(path: &Path) -> Self {
        let rows = File::open(path)
            .map_err(|e| e.to_string())
            .and_then(|file| IndexRows::open(file).map_err(|e| e.to_string()));
        let mut side = IndexSide {
            path: path.to_owned(),
            rows,
            batch: Vec::new().into_iter(),
            next: None,
            last: None,
            unordered: false,
            matched: 0,
            files: 0,
            problems: Problems::default(),
        };
        side.advance();
        side
    }

    /// Reads the row after the one `next` held into `next`.
    fn advance(&mut self) {
        let Ok(rows) = &mut self.rows else { return };
        let row = match self.batch.next() {
            Some(row) => Some(row),
            None => match rows.next_batch() {
                Ok(Some(batch)) => {
                    self.batch = batch.into_iter();
                    self.batch.next()
                }
                Ok(None) => None,
                Err(err) => {
                    self.rows = Err(err.to_string());
                    None
                }
            },
        };
        if let (Some(row), Some(last)) = (&row, &self.last)
            && row.path <= *last
        {
            self.unordered = true;
        }
        self.next = row;
    }

    /// Compares `next` with the catalog row `c` or with none, and moves on.
    fn consume(&mut self, c: Option<&EntryRow>) {
        let r = self.next.take().expect("a row to compare");
        match c {
            Some(c) if c.kind == r.kind && c.cid == r.cid && c.size == r.size => self.matched += 1,
            Some(c) => self.problems.push(format!(
                "index row {:?} says {} ({} bytes), the catalog {} ({} bytes)",
                r.path, r.cid, r.size, c.cid, c.size
            )),
            None => self.problems.push(format!("index row {:?} is not in the bucket", r.path)),
        }
        self.last = Some(r.path);
        self.advance();
    }

    fn row(&mut self, c: &EntryRow) {
        if c.kind != EntryKind::Directory {
            self.files += 1;
        }
        while !self.unordered
            && let Some(r) = self.next.as_ref().filter(|r| r.path <= c.path)
        {
            let same = r.path == c.path;
            self.consume(same.then_some(c));
        }
    }

    fn finish(mut self, db: &Connection, bucket: &str) -> Result<Problems, BucketError> {
        while let Some(r) = &self.next {
            let c = match self.unordered {
                // Every catalog row is behind: an index row in path order now has none.
                false => None,
                true => catalog::entry(db, bucket, &r.path)?,
            };
            self.consume(c.as_ref());
        }
        if let Err(err) = self.rows {
            let mut only = Problems::default();
            only.push(format!("its Parquet index {} cannot be read: {err}", self.path.display()));
            return Ok(only);
        }
        if self.matched < self.files {
            self.problems.push(format!("{} files of the bucket have no index row", self.files - self.matched));
        }
        Ok(self.problems)
    }
}
