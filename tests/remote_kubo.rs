//! Pushes to a real node with the Kubo RPC API (js-ipfs 0.66, offline on 127.0.0.1) and to the
//! Pinning Service API's reference server. One node is shared by the tests that only add to
//! it; the test that counts blocks and kills the node mid-push has a node of its own.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::kit::Kit;
use common::peers::{self, JsIpfs, PinService};
use common::{Rng, write};

fn shared_node() -> Option<&'static JsIpfs> {
    static NODE: OnceLock<Option<JsIpfs>> = OnceLock::new();
    NODE.get_or_init(|| peers::available().then(JsIpfs::start)).as_ref()
}

fn kit_with(node: &JsIpfs) -> Kit {
    let kit = Kit::new();
    kit.ok(&["remote", "add", "node", "kubo", "--api", &node.api()]);
    kit
}

fn add_bucket(kit: &Kit, name: &str, files: &[(&str, Vec<u8>)]) -> String {
    let data = tempfile::tempdir().unwrap();
    for (rel, bytes) in files {
        write(data.path(), rel, bytes);
    }
    kit.ok(&["bucket", "create", name]);
    let tops: std::collections::BTreeSet<String> =
        files.iter().map(|(rel, _)| rel.split('/').next().unwrap().to_owned()).collect();
    let mut args = vec!["bucket".to_owned(), "add".to_owned(), name.to_owned()];
    args.extend(tops.iter().map(|t| data.path().join(t).to_string_lossy().into_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    kit.ok(&args);
    kit.root(name)
}

#[test]
fn a_pushed_bucket_reads_back_through_the_node_byte_for_byte() {
    let Some(node) = shared_node() else { return };
    let kit = kit_with(node);
    let mut rng = Rng::new(9);
    let files = vec![
        ("big.bin", rng.bytes(2_500_000)),
        ("docs/readme.txt", b"pushed by ipfs-kit\n".to_vec()),
        ("docs/ünïcode name.txt", rng.bytes(1000)),
    ];
    let root = add_bucket(&kit, "b", &files);
    let out = kit.json(&["bucket", "push", "b", "--to", "node"]);
    assert_eq!(out["root"], root.as_str());
    assert_eq!(out["status"], "pinned");
    assert_eq!(out["seen"], "pin/ls: recursive");
    for (rel, bytes) in &files {
        let arg = format!("{root}/{rel}").replace(' ', "%20").replace('ü', "%C3%BC").replace('ï', "%C3%AF");
        let got = node.post(&format!("/api/v0/cat?arg={arg}")).unwrap();
        assert!(got == *bytes, "{rel}: the node's bytes differ ({} vs {} bytes)", got.len(), bytes.len());
    }
    let status = kit.json(&["bucket", "status", "b"]);
    let on = &status["versions"][0]["remotes"][0];
    assert_eq!((on["remote"].as_str(), on["status"].as_str()), (Some("node"), Some("pinned")), "{status}");
    let v = &status["versions"][0];
    assert_eq!((v["car_ready"].as_bool(), v["ipfs_ready"].as_bool()), (Some(true), Some(true)), "{status}");
    assert_eq!(v["storacha_ready"], false, "{status}");
    // The global snapshot (every bucket in one DAG) goes the same way, under its own root.
    let snapshot = kit.ok(&["bucket", "snapshot"]).trim().to_owned();
    let all = kit.json(&["bucket", "push", "--all", "--to", "node"]);
    assert_eq!((all["snapshot"].as_str(), all["status"].as_str()), (Some(snapshot.as_str()), Some("pinned")), "{all}");
    let global = all["root"].as_str().unwrap();
    assert_ne!(global, root);
    assert_eq!(node.post(&format!("/api/v0/cat?arg={global}/b/docs/readme.txt")).unwrap(), b"pushed by ipfs-kit\n");
    let check = kit.ok(&["remote", "check", "node"]);
    assert!(check.contains("reachable, version 0.18"), "{check}");
}

#[test]
fn a_bucket_pushed_from_one_home_is_pulled_into_another_through_the_node() {
    let Some(node) = shared_node() else { return };
    let kit = kit_with(node);
    let mut rng = Rng::new(21);
    let files = vec![("data/big.bin", rng.bytes(3_000_000)), ("notes.txt", b"round trip\n".to_vec())];
    let root = add_bucket(&kit, "src", &files);
    kit.ok(&["bucket", "push", "src", "--to", "node"]);
    let other = kit_with(node);
    let pulled = other.json(&["pull", &root, "--from", "node", "--bucket", "copy"]);
    assert_eq!(pulled["car_requests"], 1, "{pulled}");
    assert_eq!(other.root("copy"), root, "the same root in the other home");
    for (rel, bytes) in &files {
        let out = other.run(&["bucket", "cat", "copy", rel]);
        assert!(out.status.success() && out.stdout == *bytes, "{rel} differs after the pull");
    }
    // Resumed: what the home has is not asked for again.
    let again = other.json(&["pull", &root, "--from", "node"]);
    assert_eq!((again["had_all"].as_bool(), again["car_requests"].as_u64()), (Some(true), Some(0)));
    // A CID the node does not have: one clear line, no bucket made.
    other.fails(
        &[
            "pull",
            "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
            "--from",
            "node",
            "--bucket",
            "none",
            "--retries",
            "1",
            "--timeout",
            "5",
        ],
        "fetching",
    );
}

#[test]
fn a_pinning_service_is_asked_after_the_blocks_are_on_the_node_and_its_states_shown_truthfully() {
    let Some(node) = shared_node() else { return };
    let service = PinService::start("good-token");
    let kit = kit_with(node);
    kit.ok(&[
        "remote",
        "add",
        "pins",
        "pinning",
        "--endpoint",
        &service.url,
        "--token",
        "good-token",
        "--kubo",
        "node",
    ]);
    kit.ok(&["remote", "add", "badpins", "pinning", "--endpoint", &service.url, "--token", "wrong", "--kubo", "node"]);
    assert!(kit.ok(&["remote", "check", "pins"]).contains("token accepted"));
    kit.fails(&["remote", "check", "badpins"], "credentials refused: HTTP 401");

    let root = add_bucket(&kit, "ok", &[("a.txt", b"will be pinned".to_vec())]);
    let out = kit.json(&["bucket", "push", "ok", "--to", "pins", "--pin-name", "pinned-ok"]);
    assert_eq!(out["status"], "pinned", "{out}");
    assert!(out["request_id"].as_str().is_some_and(|s| !s.is_empty()));
    // The blocks went to the kubo remote first, and that was recorded too.
    assert!(node.post(&format!("/api/v0/pin/ls?arg={root}")).is_ok());
    kit.fails(&["bucket", "push", "ok", "--to", "badpins"], "credentials refused: HTTP 401");

    add_bucket(&kit, "bad", &[("a.txt", b"will fail".to_vec())]);
    kit.fails(&["bucket", "push", "bad", "--to", "pins", "--pin-name", "failed-bad"], "reports request");
    add_bucket(&kit, "slow", &[("a.txt", b"stays queued".to_vec())]);
    kit.fails(
        &["bucket", "push", "slow", "--to", "pins", "--pin-name", "queued-slow", "--pin-timeout", "1"],
        "is still queued",
    );

    let status = kit.json(&["bucket", "status"]);
    let state = |bucket: &str| -> String {
        let b = status.as_array().unwrap().iter().find(|b| b["bucket"] == bucket).unwrap();
        let on = b["versions"][0]["remotes"].as_array().unwrap();
        on.iter().find(|r| r["remote"] == "pins").map(|r| r["status"].as_str().unwrap().to_owned()).unwrap_or_default()
    };
    assert_eq!(
        (state("ok").as_str(), state("bad").as_str(), state("slow").as_str()),
        ("pinned", "failed", "queued"),
        "{status}"
    );
    // `pinned` was never recorded for a request the service did not call pinned.
    for r in kit.push_records() {
        if r["remote"] == "pins" && r["status"] == "pinned" {
            assert_eq!(r["bucket"], "ok", "{r}");
        }
    }
    // --refresh asks the service again; the mock still says queued.
    let refreshed = kit.json(&["bucket", "status", "slow", "--refresh"]);
    let on = refreshed["versions"][0]["remotes"].as_array().unwrap();
    assert!(on.iter().any(|r| r["remote"] == "pins" && r["status"] == "queued"), "{refreshed}");
}

fn files_under(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| if e.path().is_dir() { files_under(&e.path()) } else { 1 }).sum())
        .unwrap_or(0)
}

#[test]
fn an_incremental_push_sends_only_new_blocks_and_a_killed_node_leaves_nothing_marked_pushed() {
    if !peers::available() {
        return;
    }
    let mut node = JsIpfs::start();
    let kit = kit_with(&node);
    let mut rng = Rng::new(3);
    add_bucket(&kit, "b", &[("one.bin", rng.bytes(3_000_000)), ("dir/two.txt", b"two".to_vec())]);
    let s1 = kit.ok(&["bucket", "snapshot", "b"]).trim().to_owned();
    let full = kit.json(&["bucket", "push", "b", "--to", "node", "--snapshot", &s1]);
    let before = node.block_count();
    assert!(before >= full["blocks"].as_u64().unwrap(), "the node holds at least the pushed blocks");

    // One new small file: its raw block and the new root directory are all that is new.
    let data = tempfile::tempdir().unwrap();
    let three = write(data.path(), "three.txt", b"three");
    kit.ok(&["bucket", "add", "b", three.to_str().unwrap()]);
    let inc = kit.json(&["bucket", "push", "b", "--to", "node", "--since", &s1]);
    assert_eq!(inc["blocks"], 2, "{inc}");
    assert_eq!(node.block_count() - before, 2, "only the new blocks crossed");
    let root = kit.root("b");
    assert_eq!(node.post(&format!("/api/v0/cat?arg={root}/three.txt")).unwrap(), b"three");
    assert_eq!(node.post(&format!("/api/v0/cat?arg={root}/dir/two.txt")).unwrap(), b"two");

    // Kill the node while a push streams: a clear line, and nothing recorded.
    let big_root = add_bucket(&kit, "big", &[("big.bin", rng.bytes(64 << 20))]);
    let blocks_dir = node.dir.path().join("repo/blocks");
    let start_files = files_under(&blocks_dir);
    let push = Command::new(env!("CARGO_BIN_EXE_ipfs-kit"))
        .args(["--home", kit.path().to_str().unwrap(), "bucket", "push", "big", "--to", "node", "--retries", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while files_under(&blocks_dir) < start_files + 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    node.kill();
    let out = push.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the push should fail once the node is gone: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr:?}");
    assert!(
        stderr.contains("push to node: dag/import") && stderr.contains("transient; gave up after 2 attempts"),
        "{stderr}"
    );
    assert!(!kit.push_records().iter().any(|r| r["root"] == big_root.as_str()), "nothing marked pushed");
    assert_eq!(kit.json(&["bucket", "status", "big"])["versions"][0]["local_only"], true);

    // Once the node is back, the same push completes and is recorded.
    node.restart();
    let done = kit.json(&["bucket", "push", "big", "--to", "node"]);
    assert_eq!(done["status"], "pinned");
    assert!(kit.push_records().iter().any(|r| r["root"] == big_root.as_str() && r["status"] == "pinned"));
    assert!(node.post(&format!("/api/v0/pin/ls?arg={big_root}&type=recursive")).is_ok());
}
