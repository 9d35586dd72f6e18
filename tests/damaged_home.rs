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
    // Re-adding stores the bytes again (the writer no longer dedupes against lost rows).
    kit.ok(&["bucket", "add", "b", s(&src.path().join("many")), "-q"]);
    let (ok, text) = check_text(&kit, &["check", "--read-data"]);
    assert!(ok, "check after re-adding: {text}");
    assert!(text.contains("0 errors"), "{text}");
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
