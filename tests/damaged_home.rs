//! Homes damaged behind ipfs-kit's back: lost and truncated packs. `check` must say what is
//! lost, `--repair` must drop exactly that, and adding the files again must really store them.

mod common;

use std::path::{Path, PathBuf};

use common::kit::Kit;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A bucket with 200 small files in one folder, and the pack that holds their leaves.
fn two_hundred_files() -> (Kit, tempfile::TempDir, PathBuf) {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    let many = src.path().join("many");
    std::fs::create_dir(&many).unwrap();
    for i in 0..200 {
        std::fs::write(many.join(format!("f{i:03}.txt")), format!("small file number {i}\n")).unwrap();
    }
    kit.ok(&["bucket", "create", "b"]);
    kit.ok(&["bucket", "add", "b", s(&many), "-q"]);
    let packs = kit.path().join("store/packs");
    let biggest = std::fs::read_dir(&packs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    (kit, src, biggest)
}

fn check_text(kit: &Kit, args: &[&str]) -> (bool, String) {
    let out = kit.run(args);
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

fn lost_pack_is_found_repaired_and_refilled(damage: impl Fn(&Path), what: &str) {
    let (kit, src, pack) = two_hundred_files();
    damage(&pack);
    let (ok, text) = check_text(&kit, &["check"]);
    assert!(!ok, "check must fail after the pack {what}: {text}");
    let name = pack.file_stem().unwrap().to_str().unwrap();
    assert!(text.contains(&format!("pack {name} ")), "check must name the pack: {text}");
    assert!(text.contains("indexed blocks"), "{text}");
    // The leaves are not readable, and no command pretends they are.
    assert!(!kit.run(&["bucket", "cat", "b", "many/f199.txt"]).status.success());

    let (ok, text) = check_text(&kit, &["check", "--repair"]);
    assert!(!ok, "the files are still lost after the repair: {text}");
    assert!(text.contains("index rows of blocks whose pack lost them"), "{text}");
    // The version's blocks are no longer all held, and `car_ready` says so (it walks the DAG).
    let ready = |kit: &Kit| kit.json(&["bucket", "status", "b"])["versions"][0]["car_ready"].clone();
    assert_eq!(ready(&kit), false, "car_ready after the repair dropped the lost blocks");
    // Re-adding stores the bytes again (the writer no longer dedupes against lost rows).
    kit.ok(&["bucket", "add", "b", s(&src.path().join("many")), "-q"]);
    let (ok, text) = check_text(&kit, &["check", "--read-data"]);
    assert!(ok, "check after re-adding: {text}");
    assert!(text.contains("0 errors"), "{text}");
    assert_eq!(ready(&kit), true, "car_ready once every block is stored again");
    for i in [0, 7, 199] {
        let body = kit.ok(&["bucket", "cat", "b", &format!("many/f{i:03}.txt")]);
        assert_eq!(body, format!("small file number {i}\n"));
    }
}

#[test]
fn a_deleted_pack_is_reported_dropped_and_stored_again() {
    lost_pack_is_found_repaired_and_refilled(|p| std::fs::remove_file(p).unwrap(), "was deleted");
}

#[test]
fn a_truncated_pack_is_reported_dropped_and_stored_again() {
    lost_pack_is_found_repaired_and_refilled(
        |p| {
            let len = std::fs::metadata(p).unwrap().len();
            std::fs::OpenOptions::new().write(true).open(p).unwrap().set_len(len / 2).unwrap();
        },
        "was truncated",
    );
}

/// The hostile corpus of tests/hostile/, generated into a temp dir: (dir, name → root CID).
fn hostile_cars() -> (tempfile::TempDir, std::collections::HashMap<String, String>) {
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile/make_cars.py");
    let made = std::process::Command::new("python3").arg(script).arg(dir.path()).output().unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let cases: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("cases.json")).unwrap()).unwrap();
    let roots = cases
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_owned(), c["root"].as_str().unwrap().to_owned()))
        .collect();
    (dir, roots)
}

/// A bucket pointed at a DAG that an older ipfs-kit would have mounted (the catalog is edited,
/// as that older version would have left it): `check --read-data` must say the DAG is unsound.
#[test]
fn check_read_data_finds_dags_that_break_the_structural_rules() {
    let (cars, roots) = hostile_cars();
    for case in
        ["tsize-lie", "filesize-lie", "hamt-wrong-slot", "hamt-empty-bitfield", "file-child-dir", "control-names"]
    {
        let kit = Kit::new();
        kit.ok(&["car", "import", s(&cars.path().join(format!("{case}.car")))]);
        kit.ok(&["bucket", "create", "old"]);
        let root: cid::Cid = roots[case].parse().unwrap();
        let db = rusqlite::Connection::open(kit.path().join("catalog.sqlite")).unwrap();
        db.execute("UPDATE buckets SET root = ?1 WHERE name = 'old'", [root.to_bytes()]).unwrap();
        drop(db);
        let (ok, text) = check_text(&kit, &["check", "--read-data"]);
        assert!(!ok, "{case}: {text}");
        let found = text.contains("its DAG cannot be read back whole") || text.contains("its DAG cannot be walked");
        assert!(found, "{case}: {text}");
    }
}

/// A bucket of 300 files with one snapshot, and its root.
fn three_hundred_files() -> (Kit, tempfile::TempDir, String) {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    let dir = src.path().join("src");
    std::fs::create_dir(&dir).unwrap();
    for i in 0..300 {
        std::fs::write(dir.join(format!("f{i}.txt")), format!("file {i}\n")).unwrap();
    }
    kit.ok(&["bucket", "create", "b"]);
    kit.ok(&["bucket", "add", "b", s(&dir), "-q"]);
    kit.ok(&["bucket", "snapshot"]);
    let root = kit.root("b");
    (kit, src, root)
}

/// The recovery `check` names: move the catalog aside, restore the bucket from its root.
fn follow_the_recovery(kit: &Kit, root: &str, text: &str) {
    assert!(text.contains("move catalog.sqlite"), "the recovery is named: {text}");
    assert!(text.contains(&format!("bucket restore b --from-cid {root}")), "{text}");
    let aside = kit.path().join("aside");
    std::fs::create_dir(&aside).unwrap();
    for name in ["catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm"] {
        let _ = std::fs::rename(kit.path().join(name), aside.join(name));
    }
    kit.ok(&["bucket", "restore", "b", "--from-cid", root]);
    let (ok, text) = check_text(kit, &["check", "--read-data"]);
    assert!(ok, "{text}");
    assert_eq!(kit.ok(&["bucket", "cat", "b", "src/f7.txt"]), "file 7\n");
}

/// A value no row can hold (what a flipped bit in a record gives): check reports it and the
/// recovery it names works, instead of every command dying on "Integer out of range".
#[test]
fn a_damaged_catalog_row_is_reported_with_its_recovery() {
    let (kit, _src, root) = three_hundred_files();
    let db = rusqlite::Connection::open(kit.path().join("catalog.sqlite")).unwrap();
    db.execute("UPDATE entries SET size = -5001 WHERE path = 'src/f7.txt'", []).unwrap();
    drop(db);
    // Commands that read the row fail with one line that points at `check`.
    let out = kit.run(&["bucket", "files", "b"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("ipfs-kit check"), "{err}");
    for args in [&["check"][..], &["check", "--repair"], &["check", "--read-data"]] {
        let (ok, text) = check_text(&kit, args);
        assert!(!ok, "{args:?}: {text}");
        assert!(text.contains("catalog rows cannot be read"), "{args:?}: {text}");
        assert!(text.contains("errors"), "{args:?} finished its report: {text}");
    }
    let (_, text) = check_text(&kit, &["check"]);
    follow_the_recovery(&kit, &root, &text);
}

/// Damage to the catalog's b-tree pages: SQLite's quick_check in `check` names it.
#[test]
fn a_damaged_catalog_page_is_reported_with_its_recovery() {
    let (kit, _src, root) = three_hundred_files();
    let path = kit.path().join("catalog.sqlite");
    // Checkpoint the WAL so the pages are in the main file, then flip 64 bytes of the header of
    // every b-tree page after the first (page size from the file header).
    let db = rusqlite::Connection::open(&path).unwrap();
    db.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
    drop(db);
    let mut bytes = std::fs::read(&path).unwrap();
    let page = u16::from_be_bytes([bytes[16], bytes[17]]) as usize;
    for start in (page..bytes.len()).step_by(page * 3) {
        for b in &mut bytes[start..start + 64] {
            *b ^= 0x5a;
        }
    }
    std::fs::write(&path, &bytes).unwrap();
    let (ok, text) = check_text(&kit, &["check"]);
    assert!(!ok, "{text}");
    assert!(text.contains("catalog.sqlite is damaged") || text.contains("cannot be read"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    assert!(text.contains("move catalog.sqlite"), "{text}");
    // The recovery named: the catalog aside, the bucket back from the snapshot.
    for name in ["catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm"] {
        let _ = std::fs::rename(kit.path().join(name), kit.path().join(format!("{name}.damaged")));
    }
    let listing = kit.ok(&["bucket", "snapshots"]);
    let id = listing.split_whitespace().find(|w| w.starts_with("snapshot_")).expect("a snapshot id").to_owned();
    kit.ok(&["bucket", "restore", "b", "--snapshot", &id]);
    assert_eq!(kit.root("b"), root);
    let (ok, text) = check_text(&kit, &["check", "--read-data"]);
    assert!(ok, "{text}");
}
