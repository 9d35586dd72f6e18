//! Reads (`bucket cat`, `bucket get`, `check`, `gc --dry-run`) change no history and never wait
//! for the writer lock, and the reads they count still reach the Parquet index.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::kit::Kit;
use common::{hold_lock, write};
use serde_json::Value;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A bucket "r" holding `docs/` with a few files.
fn bucket_with_files(kit: &Kit) -> tempfile::TempDir {
    let src = tempfile::tempdir().unwrap();
    let docs = src.path().join("docs");
    write(&docs, "a.txt", b"alpha\n");
    write(&docs, "b.txt", b"beta\n");
    write(&docs, "sub/c.bin", &common::Rng::new(3).bytes(300_000));
    kit.ok(&["bucket", "create", "r"]);
    kit.ok(&["bucket", "add", "r", s(&docs)]);
    src
}

fn snapshot_files(kit: &Kit) -> usize {
    std::fs::read_dir(kit.path().join("vfs/snapshots")).unwrap().count()
}

/// `access_count` of each row of the bucket's Parquet index file, read back by the crate.
fn parquet_counts(kit: &Kit, bucket: &str) -> Vec<(String, i64)> {
    let bytes = std::fs::read(kit.path().join(format!("vfs/buckets/{bucket}_vfs.parquet"))).unwrap();
    let contents = ipfs_kit_buckets::index::read(bytes.into()).unwrap();
    contents.rows.into_iter().map(|r| (r.path, r.access_count)).collect()
}

/// `access_count` of each file, as `bucket files --json` shows it.
fn listed_counts(kit: &Kit, bucket: &str) -> Vec<(String, i64)> {
    kit.ok(&["bucket", "files", bucket, "--json"])
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| (v["path"].as_str().unwrap().to_owned(), v["access_count"].as_i64().unwrap()))
        .collect()
}

#[test]
fn a_hundred_reads_between_two_snapshots_make_no_new_snapshot() {
    let kit = Kit::new();
    let _src = bucket_with_files(&kit);
    let first = kit.json(&["bucket", "snapshot", "-m", "before the reads"]);
    assert_eq!(first["created"], true);
    for _ in 0..100 {
        let out = kit.run(&["bucket", "cat", "r", "docs/a.txt"]);
        assert!(out.status.success() && out.stdout == b"alpha\n", "{}", String::from_utf8_lossy(&out.stderr));
    }
    let second = kit.json(&["bucket", "snapshot"]);
    assert_eq!(second["created"], false, "reads are no change: {second}");
    assert_eq!(second["global_hash"], first["global_hash"]);
    assert_eq!(second["snapshot_id"], first["snapshot_id"]);
    assert_eq!(snapshot_files(&kit), 1, "exactly one snapshot file");
    // A get is a read too, and the bucket's log still shows one version.
    let out = tempfile::tempdir().unwrap();
    kit.ok(&["bucket", "get", "r", "docs", "-o", s(&out.path().join("docs"))]);
    assert_eq!(kit.json(&["bucket", "snapshot"])["created"], false);
    assert_eq!(snapshot_files(&kit), 1);
    assert_eq!(kit.json(&["bucket", "log", "r"]).as_array().unwrap().len(), 1, "no working state newer than it");
    assert_eq!(kit.json(&["check"])["errors"], serde_json::json!([]));
}

#[test]
fn reads_check_and_gc_dry_run_do_not_wait_for_a_writer() {
    let kit = Kit::new();
    let src = bucket_with_files(&kit);
    kit.ok(&["bucket", "snapshot"]);
    // Another process holds the writer lock, as a long-running writer would.
    let mut holder = hold_lock(&kit.path().join("lock"));
    let extra = write(src.path(), "extra.txt", b"x");
    kit.fails(&["--lock-wait", "0", "bucket", "add", "r", s(&extra)], "locked by pid");
    let out_dir = tempfile::tempdir().unwrap();
    let (got, one) = (out_dir.path().join("got"), out_dir.path().join("b.txt"));
    let reads: [&[&str]; 5] = [
        &["bucket", "cat", "r", "docs/a.txt"],
        &["bucket", "get", "r", "docs", "-o", s(&got)],
        &["bucket", "get", "r", "docs/b.txt", "-o", s(&one)],
        &["check", "--json"],
        &["gc", "--dry-run", "--json"],
    ];
    for args in reads {
        let started = Instant::now();
        let mut all = vec!["--lock-wait", "0"];
        all.extend_from_slice(args);
        let out = kit.run(&all);
        assert!(
            out.status.success(),
            "{args:?} with the writer lock held: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(started.elapsed() < Duration::from_secs(20), "{args:?} took {:?}", started.elapsed());
    }
    common::assert_same_tree(&src.path().join("docs"), &got);
    let check: Value = serde_json::from_slice(&kit.run(&["--lock-wait", "0", "check", "--json"]).stdout).unwrap();
    assert_eq!(check["errors"], serde_json::json!([]), "{check}");
    let dry: Value =
        serde_json::from_slice(&kit.run(&["--lock-wait", "0", "gc", "--dry-run", "--json"]).stdout).unwrap();
    // Commands that change the home still need the lock.
    kit.fails(&["--lock-wait", "0", "gc"], "locked by pid");
    kit.fails(&["--lock-wait", "0", "check", "--repair"], "locked by pid");
    holder.kill().unwrap();
    holder.wait().unwrap();
    // The dry runs deleted nothing and saw what gc then deletes (the first, empty root).
    let done = kit.json(&["gc"]);
    assert!(dry["dead_blocks"].as_u64().unwrap() > 0, "{dry}");
    assert_eq!(
        (&done["dead_blocks"], &done["live_blocks"]),
        (&dry["dead_blocks"], &dry["live_blocks"]),
        "{dry} {done}"
    );
    // The reads were counted all the same.
    let counts = listed_counts(&kit, "r");
    assert_eq!(counts[0], ("docs/a.txt".to_owned(), 2), "one cat and one get: {counts:?}");
    assert_eq!(counts[1], ("docs/b.txt".to_owned(), 2), "two gets: {counts:?}");
}

#[test]
fn read_counts_reach_the_parquet_index() {
    let kit = Kit::new();
    let src = bucket_with_files(&kit);
    kit.ok(&["bucket", "snapshot"]);
    for _ in 0..100 {
        assert!(kit.run(&["bucket", "cat", "r", "docs/a.txt"]).status.success());
    }
    let out = tempfile::tempdir().unwrap();
    kit.ok(&["bucket", "get", "r", "docs/sub", "-o", s(&out.path().join("sub"))]);
    let want = vec![("docs/a.txt".to_owned(), 100), ("docs/b.txt".to_owned(), 0), ("docs/sub/c.bin".to_owned(), 1)];
    // `bucket files` shows the counts at once.
    assert_eq!(listed_counts(&kit, "r"), want);
    // The Parquet file shows them after the next command that writes it: a snapshot (which
    // finds no change), ...
    assert_eq!(kit.json(&["bucket", "snapshot"])["created"], false);
    assert_eq!(parquet_counts(&kit, "r"), want, "after a snapshot");
    let last: Value =
        serde_json::from_str(kit.ok(&["bucket", "files", "r", "--json"]).lines().next().unwrap()).unwrap();
    assert_ne!(last["last_accessed"], last["added_at"], "a read file has its own last_accessed");
    // ... or a change to the bucket, which keeps the counts of files it did not touch.
    for _ in 0..3 {
        assert!(kit.run(&["bucket", "cat", "r", "docs/b.txt"]).status.success());
    }
    let extra = write(src.path(), "extra.txt", b"new file\n");
    kit.ok(&["bucket", "add", "r", s(&extra), "--to", "docs"]);
    let want = vec![
        ("docs/a.txt".to_owned(), 100),
        ("docs/b.txt".to_owned(), 3),
        ("docs/extra.txt".to_owned(), 0),
        ("docs/sub/c.bin".to_owned(), 1),
    ];
    assert_eq!(parquet_counts(&kit, "r"), want, "after an add");
    assert_eq!(listed_counts(&kit, "r"), want);
    // A move keeps a file's count; replacing or removing a file forgets it.
    kit.ok(&["bucket", "mv", "r", "docs/a.txt", "docs/moved.txt"]);
    kit.ok(&["bucket", "add", "r", s(&write(src.path(), "b.txt", b"other beta\n")), "--to", "docs"]);
    kit.ok(&["bucket", "rm-file", "r", "docs/sub/c.bin"]);
    let want = vec![("docs/b.txt".to_owned(), 0), ("docs/extra.txt".to_owned(), 0), ("docs/moved.txt".to_owned(), 100)];
    assert_eq!(parquet_counts(&kit, "r"), want, "after mv, replace, rm-file");
    assert_eq!(listed_counts(&kit, "r"), want);
    // The snapshot's copy of the index counts no reads: history holds content, not use.
    let snap = kit.json(&["bucket", "snapshot"]);
    assert_eq!(snap["created"], true);
    let store = ipfs_kit_blockstore::BlockStore::open(&kit.path().join("store")).unwrap();
    let index = cid::Cid::try_from(snap["buckets"]["r"]["snapshot_hash"].as_str().unwrap()).unwrap();
    let mut bytes = Vec::new();
    let mut reader = ipfs_kit_unixfs::DagReader::new(&store).cat(&index).unwrap();
    std::io::copy(&mut reader, &mut bytes).unwrap();
    let rows = ipfs_kit_buckets::index::read(bytes.into()).unwrap().rows;
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.access_count == 0 && r.last_accessed.is_none()), "{rows:?}");
}

#[test]
fn check_and_gc_dry_run_stay_right_while_a_writer_commits() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let kit = Kit::new();
    let src = bucket_with_files(&kit);
    kit.ok(&["bucket", "snapshot"]);
    let stop = AtomicBool::new(false);
    /// Stops the writer however the checks end, or a failed assertion would wait for it forever.
    struct Stop<'a>(&'a AtomicBool);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut commits = 0;
            while !stop.load(Ordering::Relaxed) {
                let file = write(src.path(), &format!("w/{commits:04}.txt"), format!("{commits}\n").as_bytes());
                kit.ok(&["bucket", "add", "r", s(&file), "--to", "w"]);
                if commits % 3 == 2 {
                    kit.ok(&["bucket", "rm-file", "r", &format!("w/{:04}.txt", commits - 1)]);
                }
                if commits % 4 == 3 {
                    kit.ok(&["bucket", "snapshot"]);
                }
                commits += 1;
            }
            commits
        });
        let stopping = Stop(&stop);
        for _ in 0..6 {
            let out = kit.run(&["--lock-wait", "5", "check", "--json"]);
            let check: Value = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|_| panic!("check: {}", String::from_utf8_lossy(&out.stderr)));
            assert_eq!(check["errors"], serde_json::json!([]), "{check}");
            kit.ok(&["--lock-wait", "0", "gc", "--dry-run"]);
            assert!(kit.run(&["--lock-wait", "0", "bucket", "cat", "r", "docs/a.txt"]).status.success());
        }
        drop(stopping);
        let commits = writer.join().unwrap();
        assert!(commits > 0, "the writer ran");
    });
    // Nothing was deleted under the writer, and the reads were counted.
    assert_eq!(kit.json(&["check", "--read-data"])["errors"], serde_json::json!([]));
    assert_eq!(listed_counts(&kit, "r")[0], ("docs/a.txt".to_owned(), 6));
}
