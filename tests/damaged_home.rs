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
