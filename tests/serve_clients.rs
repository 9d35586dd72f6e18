//! `ipfs-kit serve` read by independent clients, on 127.0.0.1: Helia's verified-fetch (Node 22,
//! every block checked against its CID) fetches files by CID and by path; ipfs-car unpacks the
//! `?format=car` answer; `ipfs-kit pull` from the server into a second home brings the same root
//! and bytes; and `--bucket` limits what is served, to blocks and to routing answers.
//!
//! Every check compares against the source files (their bytes, their SHA-256, `ipfs-kit hash`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::kit::Kit;
use common::serve::{Server, clients_available, sha256_hex, verified_fetch};
use common::{Rng, assert_same_tree, interop_dir, peers_available, write};
use serde_json::Value;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A tree with a multi-block file (3 MiB: three 1 MiB leaves under a root), small files,
/// nested and empty folders and a unicode name.
fn sample_tree(root: &Path, seed: u64) -> PathBuf {
    let mut rng = Rng::new(seed);
    let tree = root.join("tree");
    write(&tree, "big.bin", &rng.bytes(3 * 1024 * 1024 + 12_345));
    write(&tree, "a.txt", b"alpha from the served bucket\n");
    write(&tree, "sub/file.txt", format!("small file {}\n", rng.next_u64()).as_bytes());
    write(&tree, "sub/deeper/c.bin", &rng.bytes(70_000));
    write(&tree, "with space/\u{e9}t\u{e9}.md", b"summer\n");
    std::fs::create_dir_all(tree.join("empty")).unwrap();
    tree
}

/// A bucket `name` whose root is the tree itself (its entries added at the bucket's root);
/// returns the root, checked against `ipfs-kit hash` of the tree.
fn bucket_of(kit: &Kit, name: &str, tree: &Path) -> String {
    kit.ok(&["bucket", "create", name]);
    let mut args = vec!["bucket".to_owned(), "add".to_owned(), name.to_owned()];
    let mut entries: Vec<PathBuf> = std::fs::read_dir(tree).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    args.extend(entries.iter().map(|p| s(p).to_owned()));
    kit.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let root = kit.root(name);
    assert_eq!(root, hash(kit, tree), "the bucket's root is the tree's CID");
    root
}

/// `ipfs-kit hash PATH`: the CID of a file or folder.
fn hash(kit: &Kit, path: &Path) -> String {
    kit.ok(&["hash", s(path)]).trim().to_owned()
}

fn ipfs_car(args: &[&str]) -> String {
    let out = Command::new(interop_dir().join("node_modules/.bin/ipfs-car")).args(args).output().unwrap();
    assert!(out.status.success(), "ipfs-car {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn verified_fetch_gets_files_by_cid_and_by_path_with_the_bytes_on_disk() {
    if !clients_available() {
        return;
    }
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    let tree = sample_tree(src.path(), 1);
    let root = bucket_of(&kit, "site", &tree);
    let server = Server::start(kit.path(), &[]);

    // (URL, the file whose bytes it must give)
    let big = tree.join("big.bin");
    let small = tree.join("sub/file.txt");
    let cases: Vec<(String, PathBuf)> = vec![
        (format!("ipfs://{}", hash(&kit, &small)), small.clone()),
        (format!("ipfs://{}", hash(&kit, &big)), big.clone()),
        (format!("ipfs://{root}/sub/file.txt"), small.clone()),
        (format!("ipfs://{root}/big.bin"), big.clone()),
        (format!("ipfs://{root}/sub/deeper/c.bin"), tree.join("sub/deeper/c.bin")),
    ];
    let urls: Vec<String> = cases.iter().map(|(u, _)| u.clone()).collect();
    let lines = verified_fetch(&server, &urls);
    for ((url, file), line) in cases.iter().zip(&lines) {
        let want = std::fs::read(file).unwrap();
        assert_eq!(line["url"], url.as_str());
        assert!(line.get("error").is_none(), "{url}: {line}\nserver stderr: {}", server.stderr());
        assert_eq!(line["status"], 200, "{url}: {line}");
        assert_eq!(line["length"].as_u64(), Some(want.len() as u64), "{url}: length");
        assert_eq!(line["sha256"].as_str(), Some(sha256_hex(&want).as_str()), "{url}: bytes");
    }
    // The big file is several blocks (a dag-pb root over raw leaves), each fetched and checked.
    let big_cid: cid::Cid = hash(&kit, &big).parse().unwrap();
    assert_eq!(big_cid.codec(), 0x70, "big.bin is a dag-pb root over several leaves");
}

#[test]
fn ipfs_car_unpacks_the_car_answer_into_the_source_tree() {
    if !peers_available() {
        return;
    }
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    let tree = sample_tree(src.path(), 2);
    let root = bucket_of(&kit, "site", &tree);
    let server = Server::start(kit.path(), &[]);

    let resp = server.get(&format!("/ipfs/{root}?format=car"), &[]);
    assert_eq!(resp.status, 200, "{}\nserver stderr: {}", resp.text(), server.stderr());
    let ct = resp.header("content-type").unwrap_or_default();
    assert!(ct.starts_with("application/vnd.ipld.car"), "content-type {ct:?}");
    let out = tempfile::tempdir().unwrap();
    let car = out.path().join("answer.car");
    std::fs::write(&car, &resp.body).unwrap();
    assert_eq!(ipfs_car(&["roots", s(&car)]), root, "the CAR's root");
    let unpacked = out.path().join("unpacked");
    ipfs_car(&["unpack", s(&car), "--output", s(&unpacked)]);
    assert_same_tree(&tree, &unpacked);

    // Accept asks for the same thing as ?format=car.
    let by_accept = server.get(&format!("/ipfs/{root}"), &[("Accept", "application/vnd.ipld.car")]);
    assert_eq!(by_accept.status, 200);
    assert_eq!(by_accept.body, resp.body, "Accept: application/vnd.ipld.car gives the same CAR");
}

#[test]
fn pull_from_the_server_into_a_second_home_brings_the_same_root_and_bytes() {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    let tree = sample_tree(src.path(), 3);
    let root = bucket_of(&kit, "site", &tree);
    let mut server = Server::start(kit.path(), &[]);

    let kit2 = Kit::new();
    let out = src.path().join("pulled");
    let report = kit2.json(&["pull", &root, "--from", &server.url, "--bucket", "copy", "-o", s(&out)]);
    assert_eq!(report["root"], root.as_str(), "{report}");
    assert_eq!(kit2.root("copy"), root, "the second home's bucket has the same root");
    assert_same_tree(&tree, &out);
    assert_eq!(report["new_blocks"], report["blocks"], "every block came from the server: {report}");

    // SIGTERM ends the server cleanly.
    let status = server.stop();
    assert!(status.success(), "serve after SIGTERM: {status}; stderr: {}", server.stderr());
}

/// The routing answer lists this server as a trustless-gateway provider.
fn assert_provider(answer: &Value, port: u16) {
    let providers = answer["Providers"].as_array().unwrap_or_else(|| panic!("no Providers: {answer}"));
    assert!(!providers.is_empty(), "{answer}");
    let p = &providers[0];
    assert_eq!(p["Schema"], "peer", "{answer}");
    assert!(p["ID"].as_str().is_some_and(|id| !id.is_empty()), "{answer}");
    let addr = format!("/ip4/127.0.0.1/tcp/{port}/http");
    assert!(p["Addrs"].as_array().unwrap().iter().any(|a| a == addr.as_str()), "{addr} in {answer}");
    assert!(
        p["Protocols"].as_array().unwrap().iter().any(|a| a == "transport-ipfs-gateway-http"),
        "transport-ipfs-gateway-http in {answer}"
    );
}

#[test]
fn serving_one_bucket_hides_the_blocks_only_another_bucket_reaches() {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(4);
    let only_a = write(src.path(), "a/only-a.bin", &rng.bytes(5000));
    let only_b = write(src.path(), "b/only-b.bin", &rng.bytes(5000));
    let root_a = bucket_of(&kit, "A", &src.path().join("a"));
    let root_b = bucket_of(&kit, "B", &src.path().join("b"));
    let (cid_a, cid_b) = (hash(&kit, &only_a), hash(&kit, &only_b));
    assert_ne!(cid_a, cid_b);
    let raw = |cid: &str| format!("/ipfs/{cid}?format=raw");
    let routing = |cid: &str| format!("/routing/v1/providers/{cid}");

    // Serving every bucket, B's block is there: the 404s below come from --bucket.
    {
        let all = Server::start(kit.path(), &[]);
        let got = all.get(&raw(&cid_b), &[]);
        assert_eq!(got.status, 200, "{}", all.stderr());
        assert_eq!(got.body, std::fs::read(&only_b).unwrap());
        let r = all.get(&routing(&cid_b), &[]);
        assert_eq!(r.status, 200, "{}", r.text());
        assert_provider(&serde_json::from_slice(&r.body).unwrap(), all.port);
    }

    let server = Server::start(kit.path(), &["--bucket", "A"]);
    // A's block, A's root: served, and the server is their provider.
    let got = server.get(&raw(&cid_a), &[]);
    assert_eq!(got.status, 200, "{}\n{}", got.text(), server.stderr());
    assert_eq!(got.body, std::fs::read(&only_a).unwrap(), "A's block is the file's bytes");
    assert!(got.header("content-type").unwrap_or_default().starts_with("application/vnd.ipld.raw"));
    assert_eq!(server.get(&raw(&root_a), &[]).status, 200);
    let r = server.get(&routing(&cid_a), &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_provider(&serde_json::from_slice(&r.body).unwrap(), server.port);

    // B's block and B's root: 404 as a block, as a CAR, as a file and in routing.
    for cid in [&cid_b, &root_b] {
        assert_eq!(server.get(&raw(cid), &[]).status, 404, "{cid} as a raw block");
        assert_eq!(server.head(&raw(cid), &[]).status, 404, "HEAD {cid}");
        assert_eq!(server.get(&format!("/ipfs/{cid}?format=car"), &[]).status, 404, "{cid} as a CAR");
        assert_eq!(server.get(&format!("/ipfs/{cid}"), &[]).status, 404, "{cid} as a file");
        assert_eq!(server.get(&routing(cid), &[]).status, 404, "{cid} in routing");
    }
    assert_eq!(server.get("/bucket/B/only-b.bin", &[]).status, 404, "bucket B by name");
    let by_name = server.get("/bucket/A/only-a.bin", &[]);
    assert_eq!(by_name.status, 200, "bucket A by name");
    assert_eq!(by_name.body, std::fs::read(&only_a).unwrap());
}
