//! `check` compares catalog, DAG and index by a merge-join in path order (`check_rows.rs`):
//! names that sort differently as paths than as a depth-first walk must not look like
//! disagreements, and real disagreements must still be found.

mod common;

use common::kit::Kit;

fn check_text(kit: &Kit) -> (bool, String) {
    let out = kit.run(&["check"]);
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

/// `a-b`, `a.txt` and `ab` sort around `a/…` ('-' and '.' before '/', 'b' after it).
fn tricky_bucket() -> (Kit, tempfile::TempDir) {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    let top = src.path().join("src");
    for dir in ["a/b", "a.d", "a0", "é"] {
        std::fs::create_dir_all(top.join(dir)).unwrap();
    }
    for file in ["a/x", "a/b/c", "a-b", "a.txt", "ab", "a.d/y", "a0/z", "é/ü", "~"] {
        std::fs::write(top.join(file), format!("{file}\n")).unwrap();
    }
    kit.ok(&["bucket", "create", "t"]);
    kit.ok(&["bucket", "add", "t", top.to_str().unwrap(), "-q"]);
    kit.ok(&["bucket", "snapshot"]);
    (kit, src)
}

#[test]
fn paths_that_sort_around_a_directory_are_not_disagreements() {
    let (kit, _src) = tricky_bucket();
    let (ok, text) = check_text(&kit);
    assert!(ok, "{text}");
    assert!(text.contains("0 errors"), "{text}");
}

#[test]
fn rows_missing_extra_or_changed_in_the_catalog_are_found() {
    let (kit, _src) = tricky_bucket();
    let db = rusqlite::Connection::open(kit.path().join("catalog.sqlite")).unwrap();
    db.execute("DELETE FROM entries WHERE path = 'src/a.txt'", []).unwrap();
    db.execute("UPDATE entries SET tsize = tsize + 1 WHERE path = 'src/a/x'", []).unwrap();
    db.execute(
        "INSERT INTO entries SELECT bucket, 'src/a/w', parent, 'w', kind, cid, mh, size, tsize, mtime, mode, \
         content_hash, added_at, version, md5, parts, meta FROM entries WHERE path = 'src/a/x'",
        [],
    )
    .unwrap();
    drop(db);
    let (ok, text) = check_text(&kit);
    assert!(!ok, "{text}");
    assert!(text.contains(r#""src/a.txt" is in the DAG but not in the catalog"#), "{text}");
    assert!(text.contains(r#""src/a/w" is in the catalog but not in the DAG"#), "{text}");
    assert!(text.contains(r#""src/a/x": catalog has"#), "{text}");
    // The index still lists a.txt, which the catalog lost, and not w, which it gained.
    assert!(text.contains(r#"index row "src/a.txt" is not in the bucket"#), "{text}");
    assert!(text.contains("1 files of the bucket have no index row"), "{text}");
}
