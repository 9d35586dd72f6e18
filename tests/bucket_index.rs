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
    let files: Vec<Value> =
        kit(h, &["bucket", "files", "idx", "--json"]).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(files.len(), 20_001);
    let info: Value = serde_json::from_str(&kit(h, &["bucket", "info", "idx", "--json"])).unwrap();
    let expected = json!({
        "bucket": "idx",
        "version": info["version"],
        "files": files,
        "disk": {"data/big.bin": big, "data/d07/f00007.bin": src.path().join("data/d07/f00007.bin")},
    });
    let expected_path = home.path().join("expected.json");
    std::fs::write(&expected_path, expected.to_string()).unwrap();
    let index = home.path().join("vfs/buckets/idx_vfs.parquet");
    let out = std::process::Command::new(common::interop_dir().join(".venv/bin/python"))
        .arg(common::interop_dir().join("check_parquet.py"))
        .arg(&index)
        .arg(&expected_path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["rows"], 20_001);
    assert!(report["row_groups"].as_u64().unwrap() >= 3, "{report}");
}
