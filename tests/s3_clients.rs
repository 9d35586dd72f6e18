//! `ipfs-kit serve --s3` driven by real S3 clients: boto3, the aws CLI (v1) and rclone, each
//! through a flow script in `tests/s3/` (the same scripts pass against moto's reference server:
//! `tests/s3/moto_check.sh`). Each test uses a fresh home with one bucket, a read-write and a
//! read-only key, runs its flow with `--ours --wrong-secret-check --readonly-access …`, stops
//! the server and then checks the home against the flow's own record of the bucket
//! (`WORKDIR/expected`, a tree whose files are the bucket's objects):
//!
//! - `bucket info`'s root is `ipfs-kit hash --hidden` of that tree, and is the `x-ipfs-kit-root`
//!   of the flow's last write (when the flow saw it);
//! - `bucket files` lists exactly its files, with their sizes, SHA-256s and the CIDs the server
//!   sent as `x-amz-meta-cid`;
//! - the Parquet index (read with pyarrow and DuckDB by `tests/interop/check_parquet.py`) has the
//!   same rows;
//! - a snapshot records the bucket at that root, version and file count.
//!
//! The clients come from `tests/interop/setup.sh`; without them these tests skip, unless
//! `IPFS_KIT_INTEROP=require`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::interop_dir;
use common::kit::Kit;
use common::serve::{Server, sha256_hex};
use serde_json::{Value, json};

// TODO(s3_hostile): hostile requests against the S3 endpoint (left to the S3 endpoint's author).

/// How long one flow may run (the 20 MiB transfers, ~60 aws CLI starts).
const FLOW_TIMEOUT: Duration = Duration::from_secs(900);

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn python() -> PathBuf {
    interop_dir().join(".venv/bin/python")
}

/// The flow scripts (`tests/s3/*_flow.py`).
fn flow_script(flow: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/s3/{flow}_flow.py"))
}

/// True if the flow's client is installed; panics if the clients are required but missing.
fn client_available(flow: &str) -> bool {
    let venv = interop_dir().join(".venv");
    let has_module = |m: &str| {
        Command::new(python())
            .args(["-c", &format!("import {m}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let ok = python().is_file()
        && has_module("boto3")
        && match flow {
            "boto3" => true,
            "awscli" => venv.join("bin/aws").is_file(),
            "rclone" => Command::new("rclone")
                .arg("version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success()),
            _ => panic!("unknown flow {flow}"),
        };
    if !ok {
        if std::env::var("IPFS_KIT_INTEROP").as_deref() == Ok("require") {
            panic!("S3 client for the {flow} flow missing: run tests/interop/setup.sh");
        }
        eprintln!("SKIPPED: S3 client for the {flow} flow not installed (run tests/interop/setup.sh)");
    }
    ok
}

/// Runs `cmd` with stdout and stderr to files in `dir`, killed (by PID) after `timeout`.
fn run_with_timeout(mut cmd: Command, dir: &Path, timeout: Duration) -> Output {
    let out_path = dir.join("flow.stdout");
    let err_path = dir.join("flow.stderr");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("start the flow script");
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{cmd:?} still running after {timeout:?}; stderr: {}",
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output { status, stdout: std::fs::read(&out_path).unwrap(), stderr: std::fs::read(&err_path).unwrap() }
}

/// Every file under `root`: bucket-relative path ('/'-separated) -> absolute path.
fn files_under(root: &Path) -> BTreeMap<String, PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_str().expect("utf-8 name").to_owned();
                out.insert(rel, path);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// `ipfs-kit hash --hidden [FLAGS] PATH` (the CID a bucket holding exactly that tree has).
fn hash_hidden(kit: &Kit, path: &Path, flags: &[&str]) -> String {
    let mut args = vec!["hash", "--hidden"];
    args.extend_from_slice(flags);
    args.push(s(path));
    kit.ok(&args).trim().to_owned()
}

/// One client's flow against a fresh home; then the home checked against the flow's record.
fn client_flow(flow: &str) {
    if !client_available(flow) {
        return;
    }
    let kit = Kit::new();
    let bucket = format!("{flow}-flow");
    kit.ok(&["bucket", "create", &bucket]);
    let key = kit.json(&["s3", "key", "create"]);
    assert_eq!(key["read_only"], false, "{key}");
    assert_eq!(key["buckets"], json!([]), "{key}");
    let ro = kit.json(&["s3", "key", "create", "--read-only"]);
    assert_eq!(ro["read_only"], true, "{ro}");
    let id = key["access_key_id"].as_str().expect("access_key_id").to_owned();
    let secret = key["secret_access_key"].as_str().expect("secret_access_key").to_owned();
    let ro_id = ro["access_key_id"].as_str().unwrap().to_owned();
    let ro_secret = ro["secret_access_key"].as_str().unwrap().to_owned();
    assert_ne!(id, ro_id, "two keys, two ids");

    let mut server = Server::start_s3(kit.path(), &[]);
    let work = tempfile::tempdir().unwrap();
    let workdir = work.path().join("work");
    let checks = ["--ours", "--wrong-secret-check", "--readonly-access", &ro_id, &ro_secret];
    let mut cmd = Command::new(python());
    cmd.arg(flow_script(flow)).args([&server.s3_url, &id, &secret, &bucket, s(&workdir)]).args(checks);
    let out = run_with_timeout(cmd, work.path(), FLOW_TIMEOUT);
    assert!(
        out.status.success(),
        "{flow} flow failed ({}):\n{}\n{}\nserver stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        server.stderr()
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let summary: Value = serde_json::from_str(stdout.lines().last().expect("a summary line")).unwrap();
    assert_eq!(summary["ok"], true, "{summary}");
    let status = server.stop();
    assert!(status.success(), "serve --s3 after SIGTERM: {status}; stderr: {}", server.stderr());

    let expected = workdir.join("expected");
    let want = files_under(&expected);
    assert_eq!(summary["keys"].as_u64(), Some(want.len() as u64), "the flow's count vs its tree: {summary}");

    // The bucket's root is the CID of the expected tree, and what the last write announced.
    let info = kit.json(&["bucket", "info", &bucket]);
    let root = info["root"].as_str().unwrap().to_owned();
    assert_eq!(root, hash_hidden(&kit, &expected, &[]), "bucket root vs the flow's tree ({flow})");
    assert_eq!(info["files"].as_u64(), Some(want.len() as u64), "{info}");
    if let Some(last_root) = summary.get("last_root") {
        assert_eq!(last_root.as_str(), Some(root.as_str()), "x-ipfs-kit-root of the last write");
    }

    // `bucket files`: exactly the objects, with their bytes' size and SHA-256, and the CIDs the
    // server announced.
    let files: Vec<Value> =
        kit.ok(&["bucket", "files", &bucket, "--json"]).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let listed: BTreeMap<String, &Value> = files.iter().map(|f| (f["path"].as_str().unwrap().to_owned(), f)).collect();
    assert_eq!(listed.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "bucket files vs the flow's tree");
    let cids = summary["cids"].as_object().unwrap_or_else(|| panic!("no cids in the summary: {summary}"));
    assert_eq!(cids.len(), want.len(), "a cid for every object: {summary}");
    for (path, disk) in &want {
        let bytes = std::fs::read(disk).unwrap();
        let f = listed[path];
        assert_eq!(f["size"].as_u64(), Some(bytes.len() as u64), "size of {path}");
        assert_eq!(f["content_hash"].as_str(), Some(sha256_hex(&bytes).as_str()), "content_hash of {path}");
        assert_eq!(f["cid"].as_str(), cids[path].as_str(), "bucket files cid vs x-amz-meta-cid of {path}");
        assert_eq!(f["cid"].as_str(), Some(hash_hidden(&kit, disk, &[]).as_str()), "cid of {path} vs its bytes");
    }

    // Buckets the flow made and removed over S3 are gone.
    let names: Vec<String> = kit
        .json(&["bucket", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, vec![bucket.clone()], "buckets after the {flow} flow (its second bucket removed)");

    // A snapshot records the bucket at that root, and the Parquet index has the same rows.
    let snap = kit.json(&["bucket", "snapshot", &bucket]);
    let recorded = &snap["buckets"][&bucket];
    assert_eq!(
        recorded["content_hash"].as_str(),
        Some(hash_hidden(&kit, &expected, &["--cid-base", "base58btc"]).as_str()),
        "the snapshot's root for {bucket}: {snap}"
    );
    assert_eq!(recorded["version"], info["version"], "{snap}");
    assert_eq!(recorded["file_count"].as_u64(), Some(want.len() as u64), "{snap}");
    let history = kit.json(&["bucket", "snapshots", "--bucket", &bucket]);
    let last = history.as_array().and_then(|h| h.last()).unwrap_or_else(|| panic!("no snapshot of {bucket}"));
    assert_eq!(last["snapshot_id"], snap["snapshot_id"], "the newest snapshot of {bucket}: {history}");
    assert_eq!(last["content_hash"], recorded["content_hash"], "{history}");

    let files: Vec<Value> =
        kit.ok(&["bucket", "files", &bucket, "--json"]).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let disk: serde_json::Map<String, Value> = want.iter().map(|(k, p)| (k.clone(), Value::from(s(p)))).collect();
    let expected_json = work.path().join("index-expected.json");
    std::fs::write(
        &expected_json,
        json!({"bucket": bucket, "version": info["version"], "files": files, "disk": disk}).to_string(),
    )
    .unwrap();
    let out = Command::new(python())
        .arg(interop_dir().join("check_parquet.py"))
        .arg(kit.path().join(format!("vfs/buckets/{bucket}_vfs.parquet")))
        .arg(&expected_json)
        .output()
        .unwrap();
    assert!(out.status.success(), "the Parquet index: {}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["rows"].as_u64(), Some(want.len() as u64), "{report}");
}

#[test]
fn boto3_flow_leaves_the_bucket_it_describes() {
    client_flow("boto3");
}

#[test]
fn awscli_flow_leaves_the_bucket_it_describes() {
    client_flow("awscli");
}

#[test]
fn rclone_flow_leaves_the_bucket_it_describes() {
    client_flow("rclone");
}
