//! Rebuilding a bucket's directory DAG after a change.
//!
//! Only the directories on the changed paths are rebuilt, deepest first, each from its
//! children's catalog rows (name, CID, Tsize). Files are never read or re-hashed, and a big
//! directory's HAMT is rebuilt from its rows in memory. The root comes out last.

use std::collections::BTreeSet;

use ipfs_kit_unixfs::dir::{DirEntry, build_directory};
use ipfs_kit_unixfs::{BlockSink, Node, Profile};
use rusqlite::Connection;

use crate::catalog;
use crate::error::BucketError;
use crate::names::parent_of;

/// Rebuilds every directory in `dirty` and their ancestors up to the root; returns the root.
pub fn rebuild(
    db: &Connection,
    bucket: &str,
    profile: &Profile,
    dirty: impl IntoIterator<Item = String>,
    sink: &mut dyn BlockSink,
) -> Result<Node, BucketError> {
    // The root at least: a change whose every part was refused still gives its (same) root.
    let mut dirs = BTreeSet::from([(usize::MAX, String::new())]);
    for mut dir in dirty {
        loop {
            let parent = parent_of(&dir).to_owned();
            let done = dir.is_empty();
            dirs.insert((usize::MAX - depth(&dir), dir));
            if done {
                break;
            }
            dir = parent;
        }
    }
    let mut root = None;
    // Deepest first: (usize::MAX - depth) sorts the deepest directories to the front.
    for (_, dir) in dirs {
        let entries = catalog::children(db, bucket, &dir)?
            .into_iter()
            .map(|(name, cid, tsize)| DirEntry { name, node: Node { cid, filesize: 0, tsize } })
            .collect();
        let node = build_directory(entries, profile, sink)?;
        if dir.is_empty() {
            root = Some(node);
        } else {
            catalog::set_entry_node(db, bucket, &dir, &node.cid, node.tsize)?;
        }
    }
    Ok(root.expect("the root is always rebuilt"))
}

fn depth(path: &str) -> usize {
    if path.is_empty() { 0 } else { path.matches('/').count() + 1 }
}
