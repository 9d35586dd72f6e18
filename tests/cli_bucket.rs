//! Buckets through the real binary: root CIDs against Helia and `ipfs-kit hash`, byte-exact
//! round trips, changes, find-cid and errors.

mod common;

use std::path::{Path, PathBuf};

use common::kit::Kit;
use common::{Rng, assert_same_tree, helia_cids, peers_available, write};
use serde_json::{Value, json};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A tree under `root/tree` with a multi-chunk file, nested and empty folders, odd names.
fn sample_tree(root: &Path, seed: u64) -> PathBuf {
    let mut rng = Rng::new(seed);
    let tree = root.join("tree");
    write(&tree, "big.bin", &rng.bytes(2_500_000));
    write(&tree, "a.txt", b"alpha\n");
    write(&tree, "empty.txt", b"");
    write(&tree, "with space/\u{e9}t\u{e9}.md", b"summer\n");
    write(&tree, "sub/deeper/c.bin", &rng.bytes(70_000));
    write(&tree, "sub/d.txt", b"delta\n");
    std::fs::create_dir_all(tree.join("sub/emptydir")).unwrap();
    tree
}

/// `ipfs-kit hash` of a folder: the CID a bucket holding the same tree must have.
fn hash_of(dir: &Path, profile: &str) -> String {
    common::our_cids(&["--profile", profile], &[dir.to_owned()]).remove(0)
}

#[test]
fn bucket_root_is_the_cid_of_its_tree() {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    let tree = sample_tree(src.path(), 1);
    for profile in ["unixfs-v1-2025", "unixfs-v0-2015"] {
        let bucket = format!("b-{profile}");
        kit.ok(&["bucket", "create", &bucket, "--profile", profile]);
        kit.ok(&["bucket", "add", &bucket, s(&tree)]);
        let root = kit.root(&bucket);
        assert_eq!(root, hash_of(src.path(), profile), "{profile}: bucket root vs hash of the same tree");
        if peers_available() {
            let helia = helia_cids(json!({"profile": profile}), &[src.path().to_owned()]);
            assert_eq!(root, helia[0], "{profile}: bucket root vs Helia");
        }
        let info = kit.json(&["bucket", "info", &bucket]);
        assert_eq!(info["files"], 6);
        assert_eq!(info["total_size"], 2_500_000 + 6 + 7 + 70_000 + 6);
        assert_eq!(info["profile"], profile);
    }
}

#[test]
fn cat_and_get_round_trip_byte_for_byte() {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    let tree = sample_tree(src.path(), 2);
    std::os::unix::fs::symlink("a.txt", tree.join("link-to-a")).unwrap();
    kit.ok(&["bucket", "create", "rt"]);
    kit.ok(&["bucket", "add", "rt", s(&tree)]);
    let out = kit.run(&["bucket", "cat", "rt", "tree/big.bin"]);
    assert!(out.status.success());
    assert_eq!(out.stdout, std::fs::read(tree.join("big.bin")).unwrap());
    let dest = tempfile::tempdir().unwrap();
    let got = dest.path().join("copy");
    kit.ok(&["bucket", "get", "rt", "tree", "-o", s(&got)]);
    assert_same_tree(&tree, &got);
    let one = dest.path().join("one.bin");
    kit.ok(&["bucket", "get", "rt", "/tree/sub/deeper/c.bin", "-o", s(&one)]);
    assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(tree.join("sub/deeper/c.bin")).unwrap());
    // Reads are counted in the index.
    let files = kit.ok(&["bucket", "files", "rt", "--prefix", "tree/big", "--json"]);
    let row: Value = serde_json::from_str(files.lines().next().unwrap()).unwrap();
    assert_eq!(row["access_count"], 2, "one cat and one get of the folder");
}

/// Compares two trees: same names, same bytes, same symlink targets, same empty folders.
#[test]
fn changes_give_the_root_of_the_changed_tree() {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    let tree = sample_tree(src.path(), 3);
    kit.ok(&["bucket", "create", "ch"]);
    kit.ok(&["bucket", "add", "ch", s(&tree)]);
    let check = |what: &str| {
        assert_eq!(kit.root("ch"), hash_of(src.path(), "unixfs-v1-2025"), "after {what}");
        let info = kit.json(&["bucket", "info", "ch"]);
        let (files, bytes) = disk_totals(src.path());
        assert_eq!(
            (info["files"].as_u64().unwrap(), info["total_size"].as_u64().unwrap()),
            (files, bytes),
            "totals after {what}"
        );
    };
    check("add");

    let printed = kit.ok(&["bucket", "rm-file", "ch", "tree/a.txt"]);
    std::fs::remove_file(tree.join("a.txt")).unwrap();
    assert_eq!(printed.trim(), kit.root("ch"), "rm-file prints the new root");
    check("rm-file");

    kit.ok(&["bucket", "mv", "ch", "tree/sub/d.txt", "tree/with space/d-moved.txt"]);
    std::fs::rename(tree.join("sub/d.txt"), tree.join("with space/d-moved.txt")).unwrap();
    check("mv file");

    kit.ok(&["bucket", "mv", "ch", "tree/sub", "tree/renamed"]);
    std::fs::rename(tree.join("sub"), tree.join("renamed")).unwrap();
    check("mv folder");

    // Re-adding a path replaces it.
    let other = tempfile::tempdir().unwrap();
    write(other.path(), "big.bin", b"now small");
    kit.ok(&["bucket", "add", "ch", s(&other.path().join("big.bin")), "--to", "tree"]);
    std::fs::write(tree.join("big.bin"), b"now small").unwrap();
    check("re-add");

    // --to creates the folders it needs.
    kit.ok(&["bucket", "add", "ch", s(&other.path().join("big.bin")), "--to", "/tree/new/deep/"]);
    write(&tree, "new/deep/big.bin", b"now small");
    check("add --to a new folder");

    kit.ok(&["bucket", "rm-file", "ch", "tree/renamed", "--recursive"]);
    std::fs::remove_dir_all(tree.join("renamed")).unwrap();
    check("rm-file --recursive");
}

#[test]
fn find_cid_finds_shared_content_in_any_base() {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    let shared = write(src.path(), "one/shared.txt", b"the same bytes in two buckets\n");
    write(src.path(), "two/copy-of-shared.txt", b"the same bytes in two buckets\n");
    write(src.path(), "two/own.txt", b"only here\n");
    kit.ok(&["bucket", "create", "first"]);
    kit.ok(&["bucket", "create", "second"]);
    kit.ok(&["bucket", "add", "first", s(&src.path().join("one"))]);
    kit.ok(&["bucket", "add", "second", s(&src.path().join("two"))]);
    let cid = common::our_cids(&[], &[shared]).remove(0);
    for base in ["base32", "base58btc", "base36", "base16"] {
        let text = common::our_cids(&["--cid-base", base], &[src.path().join("one/shared.txt")]).remove(0);
        let found = kit.json(&["bucket", "find-cid", &text]);
        let hits: Vec<(String, String)> = found
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["bucket"].as_str().unwrap().into(), f["path"].as_str().unwrap().into()))
            .collect();
        assert_eq!(
            hits,
            vec![("first".into(), "one/shared.txt".into()), ("second".into(), "two/copy-of-shared.txt".into())],
            "{base} {text} (= {cid})"
        );
    }
    // Directory CIDs and bucket roots are found too.
    let dir_cid = hash_of(&src.path().join("two"), "unixfs-v1-2025");
    let found = kit.json(&["bucket", "find-cid", &dir_cid]);
    assert_eq!(found[0]["path"], "two");
    assert_eq!(found[0]["type"], "directory");
    let root = kit.root("first");
    assert_eq!(kit.json(&["bucket", "find-cid", &root])[0]["bucket"], "first");
    kit.fails(
        &["bucket", "find-cid", "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"],
        "not in any bucket",
    );
    kit.fails(&["bucket", "find-cid", "not-a-cid"], "invalid CID");
}

#[test]
fn bad_input_is_one_clear_line() {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    let file = write(src.path(), "f.txt", b"x");
    kit.ok(&["bucket", "create", "b"]);
    kit.ok(&["bucket", "add", "b", s(&file)]);
    kit.fails(&["bucket", "create", "b"], "already exists");
    kit.fails(&["bucket", "info", "nope"], "does not exist");
    kit.fails(&["bucket", "add", "nope", s(&file)], "does not exist");
    kit.fails(&["bucket", "cat", "b", "missing.txt"], "no \"missing.txt\"");
    kit.fails(&["bucket", "cat", "b", "../etc/passwd"], "'.' and '..' are not allowed");
    kit.fails(&["bucket", "create", "../escape"], "invalid bucket name");
    kit.fails(&["bucket", "create", "a/b"], "invalid bucket name");
    kit.fails(&["bucket", "create", "tab\there"], "control character");
    kit.fails(&["bucket", "create", &"x".repeat(200)], "longer than 128");
    kit.fails(&["bucket", "add", "b", s(&src.path().join("absent"))], "No such file");
    kit.fails(&["bucket", "add", "b", s(&file), "--to", "f.txt"], "not a directory");
    kit.fails(&["bucket", "mv", "b", "f.txt", "f.txt/inside"], "onto or into itself");
    kit.fails(&["bucket", "create", "car", "--profile", "ipfs-car"], "cannot be used for buckets");
    let out = src.path().join("exists");
    std::fs::write(&out, b"keep me").unwrap();
    kit.fails(&["bucket", "get", "b", "f.txt", "-o", s(&out)], "already exists");
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me", "nothing overwritten");
    // A file whose length changes while it is read (procfs files stat as empty).
    kit.fails(&["bucket", "add", "b", "/proc/self/status"], "changed while it was read");
    assert_eq!(kit.json(&["bucket", "info", "b"])["files"], 1, "the failed add left nothing");
}

#[test]
fn list_and_rm() {
    let kit = Kit::new();
    kit.ok(&["bucket", "create", "x1"]);
    kit.ok(&["bucket", "create", "x2", "--profile", "unixfs-v0-2015"]);
    let list = kit.json(&["bucket", "list"]);
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["x1", "x2"]);
    assert_eq!(
        list[1]["root"], "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn",
        "an empty v0 bucket is the empty dir"
    );
    let index = kit.home.path().join("vfs/buckets/x1_vfs.parquet");
    assert!(index.is_file());
    kit.ok(&["bucket", "rm", "x1"]);
    assert!(!index.exists());
    kit.fails(&["bucket", "info", "x1"], "does not exist");
}

#[test]
fn a_corrupt_block_is_refused_not_returned() {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    let bytes = Rng::new(77).bytes(3_000_000);
    let file = write(src.path(), "data.bin", &bytes);
    kit.ok(&["bucket", "create", "c"]);
    kit.ok(&["bucket", "add", "c", s(&file)]);
    // Flip one byte in the middle of the largest pack: inside the second 1 MiB leaf.
    let packs = kit.home.path().join("store/packs");
    let pack = std::fs::read_dir(&packs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .expect("a pack file");
    let mut raw = std::fs::read(&pack).unwrap();
    let at = raw.len() / 2;
    raw[at] ^= 0x01;
    std::fs::write(&pack, raw).unwrap();
    kit.fails(&["bucket", "cat", "c", "data.bin"], "does not match its hash");
    let out = src.path().join("restored.bin");
    kit.fails(&["bucket", "get", "c", "data.bin", "-o", s(&out)], "does not match its hash");
    assert!(!out.exists(), "a failed get leaves nothing behind");
}

#[test]
fn progress_only_on_a_terminal() {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    let big = write(src.path(), "big.bin", &Rng::new(5).bytes(40_000_000));
    kit.ok(&["bucket", "create", "p"]);
    // Not a terminal: stderr stays empty.
    let out = kit.run(&["bucket", "add", "p", s(&big)]);
    assert!(out.status.success());
    assert!(out.stderr.is_empty(), "no progress without a terminal: {:?}", String::from_utf8_lossy(&out.stderr));
    // A terminal (a pty from util-linux `script`): a progress line with bytes, files, rate, ETA.
    let Ok(script) = which("script") else {
        eprintln!("SKIPPED: no `script` to provide a terminal");
        return;
    };
    let cmd = format!(
        "{} --home {} bucket add p {} --to again",
        env!("CARGO_BIN_EXE_ipfs-kit"),
        kit.home.path().display(),
        big.display()
    );
    let typescript = src.path().join("typescript");
    let status = std::process::Command::new(script).arg("-qec").arg(&cmd).arg(&typescript).status().unwrap();
    assert!(status.success());
    let screen = String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned();
    assert!(screen.contains("38.1 MiB / 38.1 MiB  1 / 1 files"), "final progress line: {screen:?}");
    assert!(screen.contains("ETA"), "{screen:?}");
}

fn which(name: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .ok_or(())
}

/// (files, bytes) under `dir`, for comparing with a bucket's totals.
fn disk_totals(dir: &Path) -> (u64, u64) {
    let mut totals = (0, 0);
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = path.symlink_metadata().unwrap();
        if meta.is_dir() {
            let (f, b) = disk_totals(&path);
            totals = (totals.0 + f, totals.1 + b);
        } else {
            totals = (totals.0 + 1, totals.1 + meta.len());
        }
    }
    totals
}

#[test]
fn a_catalog_of_another_layout_is_refused_clearly() {
    let kit = Kit::new();
    kit.ok(&["bucket", "create", "v"]);
    let catalog = kit.home.path().join("catalog.sqlite");
    let status = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute('PRAGMA user_version = 99'); db.commit()")
        .arg(&catalog)
        .status()
        .unwrap();
    assert!(status.success());
    kit.fails(&["bucket", "list"], "has catalog layout 99, this ipfs-kit reads layout 4");
}

#[test]
fn a_layout_1_catalog_is_migrated_on_open() {
    let kit = Kit::new();
    kit.ok(&["bucket", "create", "old"]);
    let catalog = kit.home.path().join("catalog.sqlite");
    // What issue 3's ipfs-kit wrote: no index_cid column, user_version 1.
    let sql = "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); \
               db.execute('ALTER TABLE buckets DROP COLUMN index_cid'); db.execute('PRAGMA user_version = 1'); db.commit()";
    let status = std::process::Command::new("python3").arg("-c").arg(sql).arg(&catalog).status().unwrap();
    assert!(status.success());
    kit.ok(&["bucket", "list"]);
    let snapshot = kit.json(&["bucket", "snapshot"]);
    assert_eq!(snapshot["bucket_count"], 1, "snapshots use the new column");
    let version = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA user_version').fetchone()[0])")
        .arg(&catalog)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), "4");
}

#[test]
fn a_layout_2_catalog_moves_its_read_counts_out_on_open() {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    let dir = src.path().join("d");
    write(&dir, "read.txt", b"read often\n");
    write(&dir, "never.txt", b"never read\n");
    kit.ok(&["bucket", "create", "old"]);
    kit.ok(&["bucket", "add", "old", s(&dir)]);
    let snapshot = kit.json(&["bucket", "snapshot"]);
    // What ipfs-kit wrote before read counts moved to access.sqlite: the counts in two columns
    // of `entries`, user_version 2, no access.sqlite.
    std::fs::remove_file(kit.home.path().join("access.sqlite")).unwrap();
    let catalog = kit.home.path().join("catalog.sqlite");
    let sql = "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); \
               db.execute('ALTER TABLE entries ADD COLUMN access_count INTEGER NOT NULL DEFAULT 0'); \
               db.execute('ALTER TABLE entries ADD COLUMN last_accessed TEXT'); \
               db.execute(\"UPDATE entries SET access_count = 7, last_accessed = '2026-01-02T03:04:05.000000Z' \
                           WHERE path = 'd/read.txt'\"); \
               db.execute('PRAGMA user_version = 2'); db.commit()";
    let status = std::process::Command::new("python3").arg("-c").arg(sql).arg(&catalog).status().unwrap();
    assert!(status.success());
    let rows: Vec<Value> =
        kit.ok(&["bucket", "files", "old", "--json"]).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!((rows[0]["path"].as_str(), rows[0]["access_count"].as_i64()), (Some("d/never.txt"), Some(0)));
    assert_eq!((rows[1]["path"].as_str(), rows[1]["access_count"].as_i64()), (Some("d/read.txt"), Some(7)));
    assert_eq!(rows[1]["last_accessed"], "2026-01-02T03:04:05.000000Z");
    // Counted on from there, and no change to history.
    assert!(kit.run(&["bucket", "cat", "old", "d/read.txt"]).status.success());
    let again = kit.json(&["bucket", "snapshot"]);
    assert_eq!((again["created"].as_bool(), &again["global_hash"]), (Some(false), &snapshot["global_hash"]));
    let row: Value =
        serde_json::from_str(kit.ok(&["bucket", "files", "old", "--json"]).lines().nth(1).unwrap()).unwrap();
    assert_eq!(row["access_count"], 8);
    let layout = "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); \
                  print(db.execute('PRAGMA user_version').fetchone()[0], \
                        [c[1] for c in db.execute('PRAGMA table_info(entries)') if 'access' in c[1]])";
    let out = std::process::Command::new("python3").arg("-c").arg(layout).arg(&catalog).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "4 []", "the columns are gone");
}

/// Two sources with the same name in one `add`: the later replaces the earlier, as two `add`s
/// would, with no row of the earlier left over (rows are staged per source, not per name).
#[test]
fn two_sources_of_one_name_in_one_add_leave_only_the_later() {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    write(src.path(), "one/x/only-in-one.txt", b"1");
    write(src.path(), "one/x/both.txt", b"one");
    write(src.path(), "two/x/both.txt", b"two");
    write(src.path(), "two/x/only-in-two.txt", b"2");
    kit.ok(&["bucket", "create", "b"]);
    kit.ok(&["bucket", "add", "b", s(&src.path().join("one/x")), s(&src.path().join("two/x")), "-q"]);
    let files: Vec<String> =
        kit.ok(&["bucket", "files", "b"]).lines().map(|l| l.rsplit('\t').next().unwrap().to_owned()).collect();
    assert_eq!(files, ["x/both.txt", "x/only-in-two.txt"]);
    assert_eq!(kit.ok(&["bucket", "cat", "b", "x/both.txt"]), "two");
    assert_eq!(kit.root("b"), hash_of(&src.path().join("two"), "unixfs-v1-2025"), "the root is the later tree's");
    kit.ok(&["check"]);
}
