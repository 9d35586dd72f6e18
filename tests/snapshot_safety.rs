//! Crashes during `snapshot`, `restore` and `gc`: after a kill at any step (a fault hook at each
//! write step, and `kill -9` at random moments), `check` is clean, every bucket is in its old or
//! its new state and readable, every snapshot still restores, and the next command works.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Rng, kit_cmd, kit_ok as ok, write};

fn json(home: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    serde_json::from_str(&ok(home, &all)).unwrap()
}

fn root(home: &Path, bucket: &str) -> String {
    json(home, &["bucket", "info", bucket])["root"].as_str().unwrap().to_owned()
}

/// Exports the bucket and checks the files hash back to its root.
fn assert_readable(home: &Path, bucket: &str) -> String {
    let r = root(home, bucket);
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("export");
    ok(home, &["bucket", "get", bucket, "/", "-o", dest.to_str().unwrap()]);
    assert_eq!(common::our_cids(&[], &[dest]).remove(0), r, "bucket {bucket} exports to its root");
    r
}

/// A home with two buckets and one snapshot, then changes: bucket `a` moved on (a large file
/// removed, so its pack is mostly dead and gc rewrites it; files added), a bucket created and
/// removed (dead blocks).
struct Template {
    _dir: tempfile::TempDir,
    home: std::path::PathBuf,
    snapshot: String,
    /// (a in the snapshot, a now, b)
    roots: (String, String, String),
}

fn template() -> Template {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let src = dir.path().join("src");
    let mut rng = Rng::new(21);
    for i in 0..600 {
        write(&src, &format!("a/d{:02}/{i:04}.txt", i % 30), &rng.bytes(50 + i % 700));
    }
    write(&src, "a/big.bin", &rng.bytes(6_000_000));
    for i in 0..400 {
        write(&src, &format!("b/{i:04}.bin"), &rng.bytes(100 + i));
    }
    write(&src, "later/x.txt", b"added after the snapshot");
    write(&src, "tmp/t.bin", &rng.bytes(300_000));
    let h = home.as_path();
    for b in ["a", "b"] {
        ok(h, &["bucket", "create", b]);
        ok(h, &["bucket", "add", b, src.join(b).to_str().unwrap()]);
    }
    let snapshot = json(h, &["bucket", "snapshot", "-m", "base"])["snapshot_id"].as_str().unwrap().to_owned();
    let a_then = root(h, "a");
    ok(h, &["bucket", "rm-file", "a", "a/big.bin"]);
    ok(h, &["bucket", "add", "a", src.join("later").to_str().unwrap()]);
    ok(h, &["bucket", "create", "tmp"]);
    ok(h, &["bucket", "add", "tmp", src.join("tmp").to_str().unwrap()]);
    ok(h, &["bucket", "rm", "tmp"]);
    let roots = (a_then, root(h, "a"), root(h, "b"));
    Template { _dir: dir, home, snapshot, roots }
}

fn copy_home(t: &Template) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("cp").arg("-a").arg(&t.home).arg(dir.path().join("home")).status().unwrap();
    assert!(status.success());
    dir
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Snapshot,
    Restore,
    Gc,
}

fn op_args(op: Op, t: &Template) -> Vec<String> {
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect();
    match op {
        Op::Snapshot => v(&["bucket", "snapshot", "-m", "next"]),
        Op::Restore => v(&["bucket", "restore", "a", "--snapshot", &t.snapshot]),
        Op::Gc => v(&["gc"]),
    }
}

/// Everything that must hold after a crash of `op`, and then the op run again.
fn verify(h: &Path, t: &Template, op: Op, what: &str) -> bool {
    let out = kit_cmd(h, &["check"]).output().unwrap();
    assert!(
        out.status.success(),
        "{what}: check after the crash: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let (a_then, a_now, b) = &t.roots;
    let a = assert_readable(h, "a");
    let moved = match op {
        Op::Restore => {
            assert!(a == *a_now || a == *a_then, "{what}: a is {a}, neither old nor new");
            a == *a_then
        }
        _ => {
            assert_eq!(a, *a_now, "{what}: a did not change");
            false
        }
    };
    assert_eq!(assert_readable(h, "b"), *b, "{what}: b did not change");
    // The snapshot's DAG of `a` is still whole: it mounts as a new bucket, byte for byte.
    ok(h, &["bucket", "restore", "r", "--from-cid", a_then]);
    assert_eq!(assert_readable(h, "r"), *a_then, "{what}: the snapshot restores");
    ok(h, &["bucket", "rm", "r"]);
    // The interrupted command works when run again, and leaves a clean home.
    let args = op_args(op, t);
    ok(h, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let snapshots = json(h, &["bucket", "snapshots"]);
    let latest = snapshots.as_array().unwrap().last().unwrap()["global_hash"].as_str().unwrap().to_owned();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(h.join("vfs/bucket_manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["global_hash"], latest.as_str(), "{what}: the manifest is the latest snapshot");
    ok(h, &["check", "--read-data"]);
    moved
}

#[test]
fn crashes_during_snapshot_restore_and_gc_leave_a_clean_home() {
    let t = template();
    let mut trials = 0;
    let points = [
        (Op::Snapshot, "snapshot-blocks-committed"),
        (Op::Snapshot, "snapshot-written"),
        (Op::Snapshot, "manifest-written"),
        (Op::Restore, "catalog-committed"),
        (Op::Restore, "index-written"),
        (Op::Gc, "gc-packs-written"),
        (Op::Gc, "gc-index-committed"),
    ];
    for (op, point) in points {
        let dir = copy_home(&t);
        let h = dir.path().join("home");
        let args = op_args(op, &t);
        let out = kit_cmd(&h, &args.iter().map(String::as_str).collect::<Vec<_>>())
            .env("IPFS_KIT_CRASH_AT", point)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{point}: the fault hook should kill {op:?}");
        let moved = verify(&h, &t, op, point);
        if op == Op::Restore {
            assert!(moved, "{point} comes after the catalog commit: the restore took effect");
        }
        trials += 1;
    }

    // kill -9 at random moments, spread over each command's run time measured here.
    let mut rng = Rng::new(5);
    let mut outcomes = Vec::new();
    for op in [Op::Snapshot, Op::Restore, Op::Gc] {
        let dir = copy_home(&t);
        let h = dir.path().join("home");
        let args = op_args(op, &t);
        let started = Instant::now();
        ok(&h, &args.iter().map(String::as_str).collect::<Vec<_>>());
        let full = started.elapsed().as_micros() as u64;
        for _ in 0..5 {
            let dir = copy_home(&t);
            let h = dir.path().join("home");
            let delay = rng.below(full.max(1));
            let mut child = kit_cmd(&h, &args.iter().map(String::as_str).collect::<Vec<_>>()).spawn().unwrap();
            std::thread::sleep(Duration::from_micros(delay));
            let _ = child.kill(); // SIGKILL
            let finished = child.wait().unwrap().success();
            let moved = verify(&h, &t, op, &format!("{op:?} killed after {delay} us"));
            outcomes.push((op, delay, finished, moved));
            trials += 1;
        }
    }
    eprintln!("crash trials: {trials}; random kills (op, delay us, finished, restore took effect): {outcomes:?}");
}
