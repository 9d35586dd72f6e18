//! DAGs that are not only UnixFS: blocks hashed with blake2b-256 and sha2-512 checked byte for
//! byte, a DAG-CBOR root over a UnixFS directory judged complete or not by `car verify`, and
//! `gc` keeping everything below such a root while a snapshot names it.

mod common;

use std::path::Path;

use cid::Cid;
use common::kit::Kit;
use ipfs_kit_car::{CarReader, CarWriter, Limits};
use ipfs_kit_ipld::codec::{DAG_CBOR, RAW};
use ipfs_kit_ipld::hash;
use serde_json::Value;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A block as read from a CAR: CID, bytes, section offset.
type Read = (Cid, Vec<u8>, u64);

/// Every block of a CAR, with the section offset of each.
fn blocks_of(path: &Path) -> (Vec<Cid>, Vec<Read>) {
    let mut r = CarReader::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()), Limits::default()).unwrap();
    let roots = r.roots().to_vec();
    let mut blocks = Vec::new();
    while let Some(b) = r.next_block().unwrap() {
        blocks.push((b.cid, b.data, b.offset));
    }
    (roots, blocks)
}

fn write_car(path: &Path, roots: &[Cid], blocks: &[(Cid, Vec<u8>)]) {
    let mut w = CarWriter::new(std::fs::File::create(path).unwrap(), roots).unwrap();
    for (cid, bytes) in blocks {
        w.put(cid, bytes).unwrap();
    }
    w.finish().unwrap();
}

/// `car verify` of `path` fails with one line naming `cid` and the section `offset`.
fn verify_names(path: &Path, cid: &Cid, offset: u64) {
    let out = common::ipfs_kit(&["car", "verify", s(path)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a flipped byte must fail: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr:?}");
    assert!(stderr.contains(&format!("block in section at byte {offset} does not match its CID {cid}")), "{stderr:?}");
}

#[test]
fn a_flipped_byte_in_a_blake2b_or_sha2_512_block_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // blake2b-256: a DAG-CBOR block of go-car's Filecoin sample, one byte in its middle flipped.
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/go-car/sample-v1.car");
    let (_, blocks) = blocks_of(&sample);
    let (cid, data, offset) =
        blocks.iter().find(|(c, d, _)| c.hash().code() == hash::BLAKE2B_256 && d.len() > 100).unwrap();
    let mut bytes = std::fs::read(&sample).unwrap();
    let at =
        (*offset + (bytes.len() as u64 - *offset).min(2 + cid.encoded_len() as u64 + data.len() as u64 / 2)) as usize;
    bytes[at] ^= 0x01;
    let flipped = dir.path().join("blake2b.car");
    std::fs::write(&flipped, &bytes).unwrap();
    verify_names(&flipped, cid, *offset);

    // sha2-512: raw blocks hashed with it; the second one's last byte flipped.
    let data: Vec<Vec<u8>> = (0..3u8).map(|i| vec![i; 1000]).collect();
    let cids: Vec<Cid> = data.iter().map(|d| Cid::new_v1(RAW, hash::multihash(hash::SHA2_512, d).unwrap())).collect();
    let blocks: Vec<(Cid, Vec<u8>)> = cids.iter().copied().zip(data).collect();
    let car = dir.path().join("sha512.car");
    write_car(&car, &[cids[0]], &blocks);
    assert_eq!(
        common::ipfs_kit_ok(&["car", "verify", s(&car)])[0],
        "CARv1, 1 root, 3 blocks (3000 bytes), every block matches its CID"
    );
    let (_, read) = blocks_of(&car);
    let mut bytes = std::fs::read(&car).unwrap();
    let end_of_second = read[2].2 as usize - 1;
    bytes[end_of_second] ^= 0x80;
    std::fs::write(&car, &bytes).unwrap();
    verify_names(&car, &cids[1], read[1].2);
}

/// A DAG-CBOR root `{"dir": <UnixFS directory>, "note": "…"}` hashed with blake2b-256, and the
/// blocks of the directory (exported from a scratch bucket): returns (root, all blocks, the
/// CID of one file's raw leaf).
fn cbor_over_unixfs(dir: &Path) -> (Cid, Vec<(Cid, Vec<u8>)>, Cid) {
    let scratch = Kit::new();
    let tree = dir.join("tree");
    common::write(&tree, "a.txt", b"alpha file, not in any bucket of the home under test");
    common::write(&tree, "sub/b.bin", &common::Rng::new(7).bytes(3 << 20));
    scratch.ok(&["bucket", "create", "scratch"]);
    scratch.ok(&["bucket", "add", "scratch", s(&tree)]);
    let exported = dir.join("tree.car");
    scratch.ok(&["bucket", "export-car", "scratch", "-o", s(&exported)]);
    let (roots, blocks) = blocks_of(&exported);
    let unixfs = roots[0];
    let leaf = blocks.iter().rev().find(|(c, _, _)| c.codec() == RAW).unwrap().0;
    let link = unixfs.to_bytes();
    let mut root = vec![0xa2, 0x63, b'd', b'i', b'r', 0xd8, 0x2a, 0x58, link.len() as u8 + 1, 0x00];
    root.extend_from_slice(&link);
    root.extend_from_slice(&[0x64, b'n', b'o', b't', b'e', 0x64, b'd', b'a', b't', b'a']);
    let root_cid = Cid::new_v1(DAG_CBOR, hash::multihash(hash::BLAKE2B_256, &root).unwrap());
    assert_eq!(ipfs_kit_ipld::links(&root_cid, &root).unwrap(), vec![unixfs]);
    let mut all = vec![(root_cid, root)];
    all.extend(blocks.into_iter().map(|(c, d, _)| (c, d)));
    (root_cid, all, leaf)
}

#[test]
fn a_dag_cbor_root_over_unixfs_is_complete_only_with_every_block() {
    let dir = tempfile::tempdir().unwrap();
    let (root, blocks, leaf) = cbor_over_unixfs(dir.path());
    let whole = dir.path().join("whole.car");
    write_car(&whole, &[root], &blocks);
    let report: Value = serde_json::from_str(&common::ipfs_kit_ok(&["car", "verify", "--json", s(&whole)])[0]).unwrap();
    assert_eq!(report["complete"], true, "{report}");
    assert_eq!(report["blocks"], blocks.len());

    let without: Vec<(Cid, Vec<u8>)> = blocks.iter().filter(|(c, _)| *c != leaf).cloned().collect();
    let partial = dir.path().join("partial.car");
    write_car(&partial, &[root], &without);
    let report: Value =
        serde_json::from_str(&common::ipfs_kit_ok(&["car", "verify", "--json", s(&partial)])[0]).unwrap();
    assert_eq!(report["complete"], false);
    assert_eq!(report["missing_blocks"], 1);
    assert_eq!(report["missing"][0], leaf.to_string());
    let text = common::ipfs_kit_ok(&["car", "verify", s(&partial)]);
    assert_eq!(text[1], format!("the DAG is incomplete: 1 linked blocks are not in this CAR (first: {leaf})"));
}

fn gc_dry(kit: &Kit) -> (u64, u64) {
    let v = kit.json(&["gc", "--dry-run"]);
    (v["live_blocks"].as_u64().unwrap(), v["dead_blocks"].as_u64().unwrap())
}

#[test]
fn gc_keeps_every_block_under_a_snapshot_that_names_a_dag_cbor_root() {
    let dir = tempfile::tempdir().unwrap();
    let (root, blocks, _) = cbor_over_unixfs(dir.path());
    let car = dir.path().join("cbor.car");
    write_car(&car, &[root], &blocks);

    let kit = Kit::new();
    common::write(&dir.path().join("own"), "x.txt", b"the home's own bucket");
    kit.ok(&["bucket", "create", "own"]);
    kit.ok(&["bucket", "add", "own", s(&dir.path().join("own"))]);
    kit.ok(&["bucket", "snapshot"]);
    // (The empty root the bucket had before `add` is already dead.)
    let (live_before, dead_before) = gc_dry(&kit);

    // Stored whatever its codec; mounting it is refused, saying why, and stores nothing more.
    let out = kit.run(&["car", "import", "--bucket", "chain", s(&car)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("is dag-cbor, not UnixFS"), "{stderr}");
    let imported = kit.json(&["car", "import", s(&car)]);
    assert_eq!(imported["blocks"], blocks.len());
    let n = blocks.len() as u64;
    assert_eq!(gc_dry(&kit), (live_before, dead_before + n), "nothing references the import yet");

    // A snapshot record that names the DAG-CBOR root (as records pulled from a remote will):
    // gc now keeps the root and, through its tag-42 link, the whole UnixFS directory below it.
    let snapshots = kit.path().join("vfs/snapshots");
    let file = std::fs::read_dir(&snapshots).unwrap().next().unwrap().unwrap().path();
    let mut record: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let mut chain = record["buckets"]["own"].clone();
    chain["content_hash"] = Value::String(root.to_string());
    record["buckets"]["chain"] = chain;
    std::fs::write(&file, serde_json::to_vec(&record).unwrap()).unwrap();
    assert_eq!(gc_dry(&kit), (live_before + n, dead_before));
    let swept = kit.json(&["gc"]);
    assert_eq!(
        (swept["live_blocks"].as_u64(), swept["dead_blocks"].as_u64()),
        (Some(live_before + n), Some(dead_before))
    );
    assert_eq!(gc_dry(&kit), (live_before + n, 0), "the sweep removed only what was dead before");
}
