//! Differential tests against the JavaScript IPLD stack (`tests/interop/ipld-oracle.mjs`):
//! the links `@ipld/dag-cbor` decodes equal the ones `ipfs_kit_ipld::links` finds, on blocks the
//! peer encoded and on real Filecoin blocks from go-car's sample; and the CIDs the multiformats
//! hashers give (sha2-512, blake2b-160/256/512 from `@multiformats/blake2`, blake3 from
//! `@noble/hashes` as a multiformats hasher) equal ours, and `car verify` accepts their blocks.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use cid::Cid;
use ipfs_kit_car::{CarReader, CarWriter, Limits};
use ipfs_kit_ipld::codec::DAG_CBOR;
use ipfs_kit_ipld::hash;

fn available() -> bool {
    common::peers_available() && common::interop_dir().join("node_modules/@ipld/dag-cbor").is_dir()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn oracle(mode: &str, stdin: &str) -> Vec<serde_json::Value> {
    let mut child = Command::new("node")
        .current_dir(common::interop_dir())
        .args(["ipld-oracle.mjs", mode])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start node");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "oracle {mode}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
}

#[test]
fn peer_blocks_links_and_cids_match() {
    if !available() {
        return;
    }
    let made = oracle("make", "");
    assert_eq!(made.len(), 4);
    let mut blocks = Vec::new();
    for block in &made {
        let bytes = unhex(block["hex"].as_str().unwrap());
        for (name, code) in [
            ("sha2-256", hash::SHA2_256),
            ("sha2-512", hash::SHA2_512),
            ("blake2b-160", hash::BLAKE2B_MIN + 19),
            ("blake2b-256", hash::BLAKE2B_256),
            ("blake2b-512", hash::BLAKE2B_512),
            ("blake3", hash::BLAKE3),
        ] {
            let ours = Cid::new_v1(DAG_CBOR, hash::multihash(code, &bytes).unwrap());
            assert_eq!(ours.to_string(), block["cids"][name].as_str().unwrap(), "{name} CID");
            assert_eq!(hash::hash_name(code), name);
        }
        let cid: Cid = block["cids"]["blake2b-256"].as_str().unwrap().parse().unwrap();
        let ours: Vec<String> = ipfs_kit_ipld::links(&cid, &bytes).unwrap().iter().map(Cid::to_string).collect();
        assert_eq!(sorted(ours), sorted(strings(&block["links"])), "links of {cid}");
        blocks.push((cid, bytes));
    }
    // The peer's blocks, linked by blake2b-256 CIDs (each links to the one before), as a CAR:
    // every block verifies, and the DAG from the last one is incomplete only for the raw leaf.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("peer.car");
    let root = blocks.last().unwrap().0;
    let mut w = CarWriter::new(std::fs::File::create(&path).unwrap(), &[root]).unwrap();
    for (cid, bytes) in &blocks {
        w.put(cid, bytes).unwrap();
    }
    w.finish().unwrap();
    let out = common::ipfs_kit(&["car", "verify", "--json", path.to_str().unwrap()]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["blocks"], 4);
    assert_eq!(report["complete"], false);
    assert_eq!(report["missing_blocks"], 1, "only the raw leaf the peer linked: {report}");
}

#[test]
fn filecoin_blocks_decode_to_the_same_links() {
    if !available() {
        return;
    }
    let file = std::fs::File::open(common::interop_dir().join("../data/go-car/sample-v1.car")).unwrap();
    let mut reader = CarReader::new(std::io::BufReader::new(file), Limits::default()).unwrap();
    let mut blocks = Vec::new();
    while let Some(block) = reader.next_block().unwrap() {
        if block.cid.codec() == DAG_CBOR && blocks.len() < 200 {
            blocks.push(block);
        }
    }
    let input: String = blocks.iter().map(|b| hex(&b.data) + "\n").collect();
    let theirs = oracle("links", &input);
    assert_eq!(theirs.len(), blocks.len());
    let mut total = 0;
    for (block, theirs) in blocks.iter().zip(&theirs) {
        let ours: Vec<String> =
            ipfs_kit_ipld::links(&block.cid, &block.data).unwrap().iter().map(Cid::to_string).collect();
        total += ours.len();
        assert_eq!(sorted(ours), sorted(strings(&theirs["links"])), "links of {}", block.cid);
    }
    assert!(total > 200, "the sample's blocks link to each other ({total} links)");
}
