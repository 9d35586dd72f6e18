//! `ipfs-kit demo`: deterministic data (the same bucket CIDs in every home), the earlier design's
//! shape (4 buckets, 9 files, about 169 MB), a snapshot and CAR plans, and measured timings.

mod common;

use common::kit::Kit;
use serde_json::Value;

#[test]
fn demo_builds_the_same_home_every_time() {
    let (a, b) = (Kit::new(), Kit::new());
    let first = a.json(&["demo"]);
    let second = b.json(&["demo"]);
    let roots = |v: &Value| v["buckets"].as_array().unwrap().iter().map(|b| b["root"].clone()).collect::<Vec<_>>();
    // Bucket roots depend on the bytes alone; the global hash also covers the indexes, whose
    // rows carry times, so it differs between homes.
    assert_eq!(roots(&first), roots(&second), "same data, same CIDs");
    assert!(first["global_hash"].as_str().unwrap().starts_with("zdj7W"));
    assert_eq!(first["total_files"], 9);
    let total = first["total_size_bytes"].as_u64().unwrap();
    assert!((165_000_000..175_000_000).contains(&total), "about 169 MB: {total}");
    let names: Vec<&str> = first["buckets"].as_array().unwrap().iter().map(|b| b["bucket"].as_str().unwrap()).collect();
    assert_eq!(names, ["documents-bucket", "media-bucket", "backup-bucket", "temp-bucket"]);
    for bucket in first["buckets"].as_array().unwrap() {
        let name = bucket["bucket"].as_str().unwrap();
        let info = a.json(&["bucket", "info", name, "--cid-base", "base58btc"]);
        assert_eq!(info["root"], bucket["root"], "{name}: the table shows the bucket's root");
        let plan = a.json(&["bucket", "prepare-car", name]);
        assert_eq!(plan["car_bytes"], bucket["car_bytes"], "{name}: the CAR size is the plan's");
    }
    let perf = first["performance"].as_array().unwrap();
    assert_eq!(perf.len(), 4);
    for op in perf {
        assert!(op["in_process_ms"].as_f64().unwrap() > 0.0 && op["cli_process_ms"].as_f64().unwrap() > 0.0, "{op}");
    }
    // Plausible files: a video starts like an MP4.
    let video = a.run(&["bucket", "cat", "media-bucket", "product-demo.mp4"]).stdout;
    assert_eq!(&video[4..8], b"ftyp");
    assert_eq!(video.len(), 120_000_000);
    // Running it again in the same home changes nothing and stays clean.
    let again = a.json(&["demo"]);
    assert_eq!(roots(&again), roots(&first));
    assert_eq!(a.json(&["check"])["errors"], Value::Array(vec![]));
}

/// The demo's "Try next" lines work pasted as printed: they name the binary as it was run.
#[test]
fn try_next_commands_run_as_printed() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("demo home");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ipfs-kit"))
        .arg("demo")
        .arg("--home")
        .arg(&home)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let tail = text.split("Try next:").nth(1).expect("a Try next section");
    let commands: Vec<&str> =
        tail.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("duckdb")).collect();
    assert!(commands.len() >= 5, "{tail}");
    for line in commands {
        assert!(line.starts_with(env!("CARGO_BIN_EXE_ipfs-kit")), "{line:?} names the binary as it was run");
        // Run by a shell with an empty PATH: only the printed path can find the binary.
        let run = std::process::Command::new("/bin/sh")
            .args(["-c", line])
            .env("PATH", "/nonexistent")
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(run.status.success(), "{line}: {}", String::from_utf8_lossy(&run.stderr));
    }
}
