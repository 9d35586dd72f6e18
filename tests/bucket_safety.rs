//! Concurrent writers and crashes: nothing is lost, and a killed add leaves its bucket in the old
//! or the new state, readable, with the next add working.

mod common;

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

use common::{Rng, hold_lock, kit_cmd, kit_ok as ok, write};

fn root(home: &Path, bucket: &str) -> String {
    let info: serde_json::Value = serde_json::from_str(&ok(home, &["bucket", "info", bucket, "--json"])).unwrap();
    info["root"].as_str().unwrap().to_owned()
}

fn hash(dir: &Path) -> String {
    common::our_cids(&[], &[dir.to_owned()]).remove(0)
}

/// Exports the whole bucket and checks it is exactly the tree whose CID is its root.
fn assert_readable(home: &Path, bucket: &str, expected_trees: &[(&str, &Path)]) -> String {
    let r = root(home, bucket);
    let (_, tree) = expected_trees.iter().find(|(cid, _)| *cid == r).unwrap_or_else(|| {
        panic!(
            "root {r} is neither of the expected states {:?}",
            expected_trees.iter().map(|t| t.0).collect::<Vec<_>>()
        )
    });
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("export");
    ok(home, &["bucket", "get", bucket, "/", "-o", dest.to_str().unwrap()]);
    assert_eq!(hash(&dest), r, "the exported bucket hashes to its root");
    let listed = ok(home, &["bucket", "files", bucket]).lines().count();
    let on_disk = walk_files(tree);
    assert_eq!(listed, on_disk, "index rows vs files in the expected state");
    r
}

fn walk_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| if p.is_dir() { walk_files(&p) } else { 1 })
        .sum()
}

#[test]
fn four_concurrent_writers_lose_nothing() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let src = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(9);
    let whole = src.path().join("whole");
    for w in 0..4 {
        write(&whole, &format!("w{w}/big.bin"), &rng.bytes(3_000_000 + w * 1000));
        for i in 0..150 {
            write(&whole, &format!("w{w}/small/{i:03}.txt"), &rng.bytes(100 + i));
        }
    }
    ok(h, &["bucket", "create", "shared"]);
    let children: Vec<Child> = (0..4)
        .map(|w| {
            kit_cmd(h, &["bucket", "add", "shared", whole.join(format!("w{w}")).to_str().unwrap()]).spawn().unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "a writer failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(ok(h, &["bucket", "files", "shared"]).lines().count(), 4 * 151, "every file is in the index");
    assert_eq!(root(h, "shared"), hash(&whole), "the DAG holds every writer's files");
    assert_readable(h, "shared", &[(&hash(&whole), &whole)]);
}

/// Builds the "before" tree (in the bucket already) and the "after" tree (before + `new/`).
fn crash_fixture(src: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let mut rng = Rng::new(11);
    let before = src.join("before");
    write(&before, "keep/a.txt", b"kept\n");
    write(&before, "keep/b.bin", &rng.bytes(500_000));
    let new = src.join("new");
    write(&new, "big.bin", &rng.bytes(60_000_000));
    for i in 0..800 {
        write(&new, &format!("many/{:02}/{i:04}.bin", i % 16), &rng.bytes(200 + i));
    }
    let after = src.join("after");
    std::fs::create_dir_all(&after).unwrap();
    copy_tree(&before, &after);
    copy_tree(&new, &after.join("new"));
    (before, new, after)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let p = entry.unwrap().path();
        let target = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &target);
        } else {
            std::fs::copy(&p, &target).unwrap();
        }
    }
}

/// A home whose bucket "b" holds `before`; returns the old root.
fn fresh_home(home: &Path, before: &Path) -> String {
    ok(home, &["bucket", "create", "b"]);
    for child in std::fs::read_dir(before).unwrap() {
        ok(home, &["bucket", "add", "b", child.unwrap().path().to_str().unwrap()]);
    }
    root(home, "b")
}

#[test]
fn crash_at_every_write_step_leaves_old_or_new_state() {
    let src = tempfile::tempdir().unwrap();
    let (before, new, after) = crash_fixture(src.path());
    let (old_root, new_root) = (hash(&before), hash(&after));
    // (fault point, whether the add had committed when it died)
    let points = [
        ("file-blocks-committed", false),
        ("dir-blocks-committed", false),
        ("catalog-committed", true),
        ("index-written", true),
    ];
    for (point, committed) in points {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        assert_eq!(fresh_home(h, &before), old_root);
        let out = kit_cmd(h, &["bucket", "add", "b", new.to_str().unwrap()])
            .env("IPFS_KIT_CRASH_AT", point)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{point}: the fault hook should kill the add");
        let states = [(old_root.as_str(), before.as_path()), (new_root.as_str(), after.as_path())];
        let r = assert_readable(h, "b", &states);
        assert_eq!(r == new_root, committed, "{point}: state after the crash");
        // The index is current again, and the next add works and lands.
        ok(h, &["bucket", "add", "b", new.to_str().unwrap()]);
        assert_eq!(root(h, "b"), new_root, "{point}: add after the crash");
        assert_readable(h, "b", &states);
    }
}

#[test]
fn kill_9_at_random_moments_during_a_large_add() {
    let src = tempfile::tempdir().unwrap();
    let (before, new, after) = crash_fixture(src.path());
    let (old_root, new_root) = (hash(&before), hash(&after));
    let states = [(old_root.as_str(), before.as_path()), (new_root.as_str(), after.as_path())];
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    fresh_home(h, &before);
    let mut outcomes = Vec::new();
    // Spread over the add: hashing, the block commit, the catalog commit and the index write.
    for delay_ms in [5, 40, 90, 150, 220, 300, 420, 600] {
        if root(h, "b") == new_root {
            ok(h, &["bucket", "rm-file", "b", "new", "--recursive"]);
        }
        let mut child = kit_cmd(h, &["bucket", "add", "b", new.to_str().unwrap()]).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        let r = assert_readable(h, "b", &states);
        outcomes.push((delay_ms, status.success(), r == new_root));
    }
    eprintln!("kill -9 trials (delay ms, finished before the kill, new state): {outcomes:?}");
    ok(h, &["bucket", "add", "b", new.to_str().unwrap()]);
    assert_eq!(root(h, "b"), new_root);
}

#[test]
fn a_second_writer_is_told_who_holds_the_lock() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let src = tempfile::tempdir().unwrap();
    let file = write(src.path(), "f.txt", b"x");
    ok(h, &["bucket", "create", "b"]);
    // Another process holds the lock, as a long-running writer would.
    let mut holder = hold_lock(&h.join("lock"));
    let out = kit_cmd(h, &["--lock-wait", "0", "bucket", "add", "b", file.to_str().unwrap()]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(&format!("locked by pid {} on testhost (test holder)", holder.id())), "{stderr}");
    assert_eq!(ok(h, &["bucket", "files", "b"]).lines().count(), 0, "the refused add left nothing");
    // The holder dies without cleaning up: its record is stale and the next writer proceeds.
    holder.kill().unwrap();
    holder.wait().unwrap();
    ok(h, &["--lock-wait", "0", "bucket", "add", "b", file.to_str().unwrap()]);
    assert_eq!(ok(h, &["bucket", "files", "b"]).lines().count(), 1);
}

#[test]
fn unlock_clears_only_a_stale_lock() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    ok(h, &["bucket", "create", "b"]);
    assert_eq!(ok(h, &["unlock"]).trim(), "no stale lock");
    // A crashed writer's record: the file names a pid but nobody holds the OS lock.
    std::fs::write(h.join("lock"), "pid=4242\nhost=gone\nsince=1\ncommand=ipfs-kit bucket add\n").unwrap();
    let out = ok(h, &["unlock", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["cleared"].as_bool(), v["pid"].as_u64()), (Some(true), Some(4242)), "{out}");
    assert_eq!(ok(h, &["unlock"]).trim(), "no stale lock");
    // A live holder is left alone.
    let mut holder = hold_lock(&h.join("lock"));
    let out = kit_cmd(h, &["unlock"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("held by a live process"));
    holder.kill().unwrap();
    holder.wait().unwrap();
}
