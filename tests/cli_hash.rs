//! `ipfs-kit hash` as a user meets it: output forms and one-line errors for bad input.

mod common;

use common::{ipfs_kit, ipfs_kit_ok, write};

/// Asserts failure with exactly one line on stderr that mentions `needle`.
fn assert_fails_with(args: &[&str], needle: &str) {
    let out = ipfs_kit(args);
    assert!(!out.status.success(), "{args:?} should fail");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "one error line, got {stderr:?}");
    assert!(stderr.contains(needle), "{args:?}: {stderr:?} should mention {needle:?}");
    assert!(out.stdout.is_empty() || args.len() > 3, "no partial output");
}

#[test]
fn bad_input_gets_one_clear_line() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write(tmp.path(), "ok.txt", b"fine").to_string_lossy().into_owned();
    let missing = tmp.path().join("nope").to_string_lossy().into_owned();
    assert_fails_with(&["hash", &missing], "No such file");
    assert_fails_with(&["hash", "--profile", "kubo-2030", &file], "unknown profile");
    assert_fails_with(&["hash", "--chunker", "rabin-1-2-3", &file], "bad chunker");
    assert_fails_with(&["hash", "--chunker", "size-0", &file], "bad chunker");
    assert_fails_with(&["hash", "--max-links", "1", &file], "bad max-links");
    assert_fails_with(&["hash", "--cid-version", "2", &file], "bad CID version");
    assert_fails_with(&["hash", "--cid-base", "base99", &file], "unknown multibase");
}

#[test]
fn unreadable_file_is_an_error_not_a_skip() {
    if unsafe_is_root() {
        eprintln!("SKIPPED: root reads any file");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = write(tmp.path(), "secret", b"x");
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    assert_fails_with(&["hash", &path.to_string_lossy()], "Permission denied");
}

fn unsafe_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

#[test]
fn read_error_midway_is_reported_with_the_path() {
    // /proc/self/mem opens but fails on the first read, even for root.
    assert_fails_with(&["hash", "/proc/self/mem"], "/proc/self/mem: Input/output error");
}

#[test]
fn unreadable_directory_is_an_error() {
    if unsafe_is_root() {
        eprintln!("SKIPPED: root reads any directory");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "d/x", b"x");
    let dir = tmp.path().join("d");
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    assert_fails_with(&["hash", &tmp.path().to_string_lossy()], "Permission denied");
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
}

#[test]
fn non_utf8_names_are_refused() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"bad-\xff-name");
    std::fs::write(tmp.path().join(name), b"x").unwrap();
    assert_fails_with(&["hash", &tmp.path().to_string_lossy()], "not valid UTF-8");
}

#[test]
fn fifo_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("pipe");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    assert_fails_with(&["hash", &tmp.path().to_string_lossy()], "unsupported file type");
}

#[test]
fn one_line_per_path_in_order_and_bases() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write(tmp.path(), "a", b"hello world").to_string_lossy().into_owned();
    let b = write(tmp.path(), "b", b"").to_string_lossy().into_owned();
    let lines = ipfs_kit_ok(&["hash", &a, &b, &a]);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], lines[2]);
    assert_ne!(lines[0], lines[1]);
    assert!(lines[0].starts_with("bafkrei"), "base32 CIDv1 by default: {}", lines[0]);
    let b58 = ipfs_kit_ok(&["hash", "--cid-base", "base58btc", &a]).remove(0);
    assert!(b58.starts_with('z'), "{b58}");
    let v0 = ipfs_kit_ok(&["hash", "--profile", "unixfs-v0-2015", &a]).remove(0);
    assert!(v0.starts_with("Qm"), "CIDv0 prints as Qm by default: {v0}");
    let v0_b32 = ipfs_kit_ok(&["hash", "--profile", "unixfs-v0-2015", "--cid-base", "base32", &a]).remove(0);
    assert!(v0_b32.starts_with("bafybei"), "CIDv0 in base32 becomes CIDv1: {v0_b32}");
}

#[test]
fn json_reports_sizes_and_blocks() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    write(tmp.path(), "d/big", &bytes);
    write(tmp.path(), "d/small", b"abc");
    let dir = tmp.path().join("d").to_string_lossy().into_owned();
    let line = ipfs_kit_ok(&["hash", "--json", &dir]).remove(0);
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["type"], "directory");
    assert_eq!(v["bytes"], 3_000_003);
    assert_eq!(v["files"], 2);
    // 3 MB in 1 MiB chunks: 3 leaves + 1 file root, 1 small leaf, 1 directory.
    assert_eq!(v["blocks"], 6);
    assert!(v["dag_size"].as_u64().unwrap() > 3_000_003);
    assert_eq!(v["cid"], ipfs_kit_ok(&["hash", &dir])[0]);
}

#[test]
fn hidden_names_need_the_flag() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "d/.secret", b"x");
    write(tmp.path(), "d/plain", b"x");
    let dir = tmp.path().join("d").to_string_lossy().into_owned();
    let without = ipfs_kit_ok(&["hash", &dir]).remove(0);
    let with = ipfs_kit_ok(&["hash", "--hidden", &dir]).remove(0);
    assert_ne!(without, with);
    std::fs::remove_file(tmp.path().join("d/.secret")).unwrap();
    assert_eq!(ipfs_kit_ok(&["hash", &dir]).remove(0), without);
}
