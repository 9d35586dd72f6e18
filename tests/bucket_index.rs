//! The Parquet index as DuckDB and pyarrow read it, checked against the CLI's own answers.

mod common;

use std::path::Path;

use serde_json::{Value, json};

fn kit(home: &Path, args: &[&str]) -> String {
    let mut all = vec!["--home", home.to_str().unwrap()];
    all.extend_from_slice(args);
    common::ipfs_kit_ok(&all).join("\n")
}

#[test]
fn index_opens_in_pyarrow_and_duckdb_with_true_values() {
    if !common::peers_available() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    let mut rng = common::Rng::new(5);
    // Enough files for several row groups, so statistics and pruning have something to do.
    for i in 0..20_000 {
        common::write(src.path(), &format!("data/d{:02}/f{i:05}.bin", i % 40), &rng.bytes(1 + (i % 300)));
    }
    let big = common::write(src.path(), "data/big.bin", &rng.bytes(3_000_000));
    let h = home.path();
    kit(h, &["bucket", "create", "idx"]);
    kit(h, &["bucket", "add", "idx", src.path().join("data").to_str().unwrap()]);
    let cat = common::ipfs_kit(&["--home", h.to_str().unwrap(), "bucket", "cat", "idx", "data/big.bin"]);
    assert!(cat.status.success() && cat.stdout.len() == 3_000_000, "cat of big.bin");
    // Reads reach the Parquet file when it is next written under the lock, here by a snapshot.
    kit(h, &["bucket", "snapshot", "idx"]);
    let disk = json!({"data/big.bin": big, "data/d07/f00007.bin": src.path().join("data/d07/f00007.bin")});
    let report = check_index(h, &disk);
    assert_eq!(report["rows"], 20_001);
    assert!(report["row_groups"].as_u64().unwrap() >= 3, "{report}");

    // Changes rewrite only the row groups they touch; the index must still equal what the CLI
    // says, row for row, after each kind of change.
    let extra = common::write(src.path(), "extra/new-in-the-middle.txt", b"inserted\n");
    kit(h, &["bucket", "add", "idx", extra.to_str().unwrap(), "--to", "data/d20"]);
    kit(h, &["bucket", "rm-file", "idx", "data/d07", "--recursive"]);
    kit(h, &["bucket", "mv", "idx", "data/d30", "data/zz-moved"]);
    let cat = common::ipfs_kit(&["--home", h.to_str().unwrap(), "bucket", "cat", "idx", "data/d31/f00031.bin"]);
    assert!(cat.status.success());
    kit(h, &["bucket", "snapshot", "idx"]);
    let report = check_index(h, &json!({"data/big.bin": big}));
    assert_eq!(report["rows"], 20_001 + 1 - 500);
    // A full rewrite (the index deleted, as after a crash) gives the same rows.
    std::fs::remove_file(h.join("vfs/buckets/idx_vfs.parquet")).unwrap();
    let again = check_index(h, &json!({"data/big.bin": big}));
    assert_eq!(again["rows"], report["rows"]);
}

/// Runs check_parquet.py on the bucket's index against `bucket files --json`.
fn check_index(h: &Path, disk: &Value) -> Value {
    let files: Vec<Value> =
        kit(h, &["bucket", "files", "idx", "--json"]).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let info: Value = serde_json::from_str(&kit(h, &["bucket", "info", "idx", "--json"])).unwrap();
    let expected = json!({"bucket": "idx", "version": info["version"], "files": files, "disk": disk});
    let expected_path = h.join("expected.json");
    std::fs::write(&expected_path, expected.to_string()).unwrap();
    let out = std::process::Command::new(common::interop_dir().join(".venv/bin/python"))
        .arg(common::interop_dir().join("check_parquet.py"))
        .arg(h.join("vfs/buckets/idx_vfs.parquet"))
        .arg(&expected_path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}
