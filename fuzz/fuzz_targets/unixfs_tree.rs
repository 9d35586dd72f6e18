//! Fuzzes the UnixFS tree checker (`check_tree`) and the reader (`DagReader`) over untrusted
//! DAGs: HAMT shards, file nodes whose blocksizes lie, children shared many times over.
//!
//! The input is a list of blocks in the framing of `ipfs_kit_fuzz` (kind, length, bytes; root
//! first). Two passes:
//! 1. The reader alone walks the unchecked DAG under a small read budget: no panic, no hang.
//! 2. `check_tree` with small limits. When it accepts, its promise must hold: reading the whole
//!    tree with `DagReader` (every directory listed, every file read to the end, every symlink
//!    read) succeeds, and the entries, file bytes, nesting depth and longest path the walk
//!    finds are the ones the summary reported. A walk that runs out of its (large) budget is
//!    inconclusive, not a failure: the checker bounds entries, not bytes or block reads.

#![no_main]

use ipfs_kit_fuzz::{Budget, LIMITS, blocks, memory_blocks, walk};
use ipfs_kit_unixfs::reader::DagReader;
use ipfs_kit_unixfs::check_tree;
use libfuzzer_sys::fuzz_target;

/// Pass 1: small, the reader alone has no bounds of its own.
const UNCHECKED_GETS: u64 = 2_000;
const UNCHECKED_BYTES: u64 = 4 << 20;
/// Pass 2: generous, for trees the checker accepted.
const CHECKED_GETS: u64 = 100_000;
const CHECKED_BYTES: u64 = 32 << 20;

fuzz_target!(|data: &[u8]| {
    let blocks = blocks(data);
    let Some(root) = blocks.first().map(|b| b.cid) else { return };
    let mem = memory_blocks(&blocks);

    let budget = Budget::new(&mem, UNCHECKED_GETS, UNCHECKED_BYTES);
    let _ = walk(&DagReader::new(&budget), &root);

    let Ok(summary) = check_tree(&mem, &root, &LIMITS) else { return };
    assert!(summary.entries <= LIMITS.max_entries, "{summary:?} passes the entry limit");
    assert!(summary.depth <= LIMITS.max_depth, "{summary:?} passes the depth limit");
    assert!(summary.longest_path <= LIMITS.max_path_bytes as u64, "{summary:?} passes the path limit");
    if summary.file_bytes > CHECKED_BYTES {
        return;
    }
    let budget = Budget::new(&mem, CHECKED_GETS, CHECKED_BYTES);
    match walk(&DagReader::new(&budget), &root) {
        Ok((kind, walked)) => {
            assert_eq!(kind, summary.kind, "check_tree and the reader disagree on the root's kind");
            assert_eq!(walked.entries, summary.entries, "entries: walk {walked:?}, check_tree {summary:?}");
            assert_eq!(walked.file_bytes, summary.file_bytes, "file bytes: walk {walked:?}, check_tree {summary:?}");
            assert_eq!(walked.depth, summary.depth, "depth: walk {walked:?}, check_tree {summary:?}");
            assert_eq!(walked.longest_path, summary.longest_path, "path: walk {walked:?}, check_tree {summary:?}");
        }
        Err(_) if budget.spent() => {}
        Err(err) => panic!("check_tree accepted {root} ({summary:?}) but reading it fails: {err}"),
    }
});
