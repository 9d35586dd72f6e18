//! Snapshots through the real binary: the history round trip (snapshot, change, diff, restore),
//! every hash recomputed from the stored blocks, prune + gc, and check finding damage.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cid::Cid;
use common::kit::Kit;
use common::{Rng, helia_cids, peers_available, write};
use ipfs_kit_blockstore::BlockStore;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// (path → CID) of a bucket's files, from `bucket files --json`.
fn files(kit: &Kit, bucket: &str) -> BTreeMap<String, String> {
    kit.ok(&["bucket", "files", bucket, "--json"])
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| (v["path"].as_str().unwrap().to_owned(), v["cid"].as_str().unwrap().to_owned()))
        .collect()
}

fn tree(root: &Path, seed: u64, files: usize) -> PathBuf {
    let mut rng = Rng::new(seed);
    let dir = root.join("docs");
    for i in 0..files {
        let len = 10 + rng.below(3000) as usize;
        write(&dir, &format!("sub{}/file{i:03}.txt", i % 4), &rng.bytes(len));
    }
    write(&dir, "big.bin", &rng.bytes(2_500_000));
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    dir
}

fn cid(text: &str) -> Cid {
    Cid::try_from(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn snapshot(kit: &Kit, args: &[&str]) -> Value {
    let mut all = vec!["bucket", "snapshot"];
    all.extend_from_slice(args);
    kit.json(&all)
}

#[test]
fn snapshot_change_diff_restore_and_diff_again() {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    let docs = tree(src.path(), 1, 40);
    kit.ok(&["bucket", "create", "docs"]);
    kit.ok(&["bucket", "add", "docs", s(&docs)]);
    kit.ok(&["bucket", "create", "old", "--profile", "unixfs-v0-2015"]);
    kit.ok(&["bucket", "add", "old", s(&docs.join("sub1"))]);
    let before = files(&kit, "docs");
    let root_before = kit.root("docs");

    let first = snapshot(&kit, &["-m", "first"]);
    assert_eq!(first["created"], true);
    assert_eq!(first["sequence"], 1);
    assert_eq!(first["parent"], Value::Null);
    let again = snapshot(&kit, &[]);
    assert_eq!(again["created"], false, "no change, no new snapshot");
    assert_eq!(again["snapshot_id"], first["snapshot_id"]);

    // Change: modify one file, add one, remove one.
    let changed = docs.join("sub0/file000.txt");
    std::fs::write(&changed, b"new bytes").unwrap();
    kit.ok(&["bucket", "add", "docs", s(&changed), "--to", "docs/sub0"]);
    write(src.path(), "added.txt", b"brand new");
    kit.ok(&["bucket", "add", "docs", s(&src.path().join("added.txt")), "--to", "docs/sub2"]);
    kit.ok(&["bucket", "rm-file", "docs", "docs/sub3/file003.txt"]);
    let after = files(&kit, "docs");

    let diff = kit.json(&["bucket", "diff", "docs"]);
    let changes: Vec<(String, String, Value, Value)> = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["path"].as_str().unwrap().into(),
                c["change"].as_str().unwrap().into(),
                c["old"].clone(),
                c["new"].clone(),
            )
        })
        .collect();
    let m = "docs/sub0/file000.txt";
    let want = vec![
        (m.to_owned(), "modified".to_owned(), json!(before[m]), json!(after[m])),
        ("docs/sub2/added.txt".into(), "added".into(), Value::Null, json!(after["docs/sub2/added.txt"])),
        ("docs/sub3/file003.txt".into(), "removed".into(), json!(before["docs/sub3/file003.txt"]), Value::Null),
    ];
    assert_eq!(changes, want);

    let second = snapshot(&kit, &["--all", "-m", "second"]);
    assert_eq!(second["created"], true);
    assert_eq!(second["sequence"], 2);
    assert_eq!(second["parent"], first["global_hash"]);
    assert!(second["buckets"]["docs"]["version"].as_i64() > first["buckets"]["docs"]["version"].as_i64());
    assert_eq!(second["buckets"]["old"], first["buckets"]["old"], "an unchanged bucket is recorded as it was");
    let (id1, id2) = (first["snapshot_id"].as_str().unwrap(), second["snapshot_id"].as_str().unwrap());
    // Between the two snapshots, by id and by global CID in another base.
    let global1_b32 = cid(first["global_hash"].as_str().unwrap()).to_string();
    let between = kit.json(&["bucket", "diff", "docs", &global1_b32, id2]);
    assert_eq!(between["changes"], diff["changes"]);
    assert_eq!(kit.json(&["bucket", "diff", "docs", id2])["changes"], json!([]));

    let restored = kit.json(&["bucket", "restore", "docs", "--snapshot", id1]);
    assert_eq!(restored["root"], root_before);
    assert!(restored["version"].as_i64() > second["buckets"]["docs"]["version"].as_i64(), "versions only grow");
    assert_eq!(kit.json(&["bucket", "diff", "docs", id1])["changes"], json!([]));
    assert_eq!(files(&kit, "docs"), before, "the index is back too");
    let out = tempfile::tempdir().unwrap();
    kit.ok(&["bucket", "get", "docs", "docs", "-o", s(&out.path().join("docs"))]);
    std::fs::write(&changed, std::fs::read(out.path().join("docs/sub0/file000.txt")).unwrap()).unwrap();
    std::fs::remove_file(src.path().join("added.txt")).unwrap();
    assert_eq!(
        common::our_cids(&[], &[out.path().join("docs")]),
        common::our_cids(&[], std::slice::from_ref(&docs)),
        "the restored files are the original bytes"
    );

    let log = kit.json(&["bucket", "log", "docs"]);
    let versions: Vec<i64> = log.as_array().unwrap().iter().map(|e| e["version"].as_i64().unwrap()).collect();
    assert_eq!(versions.len(), 3, "working state, second, first: {log}");
    assert!(versions.windows(2).all(|w| w[0] > w[1]));
    assert_eq!(log[0]["snapshot_id"], Value::Null);

    // A snapshot of one bucket carries the other from its parent.
    kit.ok(&["bucket", "rm-file", "old", "sub1/file001.txt"]);
    kit.ok(&["bucket", "add", "docs", s(&changed), "--to", "docs/sub0"]);
    let third = snapshot(&kit, &["docs"]);
    assert_eq!(third["buckets"]["old"], second["buckets"]["old"]);
    assert_ne!(third["buckets"]["docs"], second["buckets"]["docs"]);
}

/// A minimal dag-pb reader written from the spec, independent of the crate's decoder:
/// returns (name, CID) of each link.
fn pb_links(mut bytes: &[u8]) -> Vec<(String, Cid)> {
    fn varint(b: &mut &[u8]) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let byte = b[0];
            *b = &b[1..];
            v |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return v;
            }
            shift += 7;
        }
    }
    let mut links = Vec::new();
    while !bytes.is_empty() {
        let key = varint(&mut bytes);
        let len = varint(&mut bytes) as usize;
        let (body, rest) = bytes.split_at(len);
        bytes = rest;
        if key >> 3 != 2 {
            continue;
        }
        let (mut link, mut name, mut hash) = (body, String::new(), None);
        while !link.is_empty() {
            let key = varint(&mut link);
            if key & 7 == 0 {
                varint(&mut link);
                continue;
            }
            let len = varint(&mut link) as usize;
            let (field, rest) = link.split_at(len);
            link = rest;
            match key >> 3 {
                1 => hash = Some(Cid::try_from(field).unwrap()),
                2 => name = String::from_utf8(field.to_vec()).unwrap(),
                _ => {}
            }
        }
        links.push((name, hash.unwrap()));
    }
    links
}

fn block(store: &BlockStore, cid: &Cid) -> Vec<u8> {
    let bytes = store.get_block(cid).unwrap().unwrap_or_else(|| panic!("block {cid} is stored"));
    assert_eq!(Sha256::digest(&bytes).as_slice(), cid.hash().digest(), "{cid} hashes to its bytes");
    bytes
}

#[test]
fn every_snapshot_hash_is_a_cid_recomputed_from_the_blocks() {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    let docs = tree(src.path(), 2, 12);
    for (name, profile) in [("documents-bucket", "unixfs-v1-2025"), ("legacy-bucket", "unixfs-v0-2015")] {
        kit.ok(&["bucket", "create", name, "--profile", profile]);
        kit.ok(&["bucket", "add", name, s(&docs)]);
    }
    snapshot(&kit, &["-m", "one"]);
    let vfs = kit.path().join("vfs");
    let manifest: Value = serde_json::from_slice(&std::fs::read(vfs.join("bucket_manifest.json")).unwrap()).unwrap();
    let id = manifest["snapshot_id"].as_str().unwrap();
    let file = vfs.join("snapshots").join(format!("{id}.json"));
    let record: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(record, manifest, "the manifest is the latest snapshot");

    // The earlier design's fields, with our additions.
    for field in [
        "snapshot_id",
        "created_at",
        "bucket_count",
        "total_files",
        "total_size_bytes",
        "buckets",
        "global_hash",
        "manifest_hash",
        "parent",
        "message",
        "version",
        "sequence",
    ] {
        assert!(record.get(field).is_some(), "missing {field}");
    }
    let created = record["created_at"].as_str().unwrap();
    assert!(created.ends_with('Z'), "UTC with a zone: {created}");
    let stamp: String = created.chars().filter(char::is_ascii_digit).take(14).collect();
    let global = record["global_hash"].as_str().unwrap();
    assert!(global.starts_with("zdj7W"), "base58btc dag-pb CIDv1: {global}");
    assert_eq!(id, format!("snapshot_{}_{}_{}", &stamp[..8], &stamp[8..], &global[..12]));
    assert_eq!(record["bucket_count"], 2);
    let total_files: u64 =
        record["buckets"].as_object().unwrap().values().map(|b| b["file_count"].as_u64().unwrap()).sum();
    assert_eq!(record["total_files"], total_files);
    assert!(!std::fs::read_to_string(&file).unwrap().contains(s(kit.path())), "no absolute paths");

    let store = BlockStore::open(&kit.path().join("store")).unwrap();
    // global_hash: a directory whose entries are the buckets' roots (and the index folder).
    let global_cid = cid(global);
    let links = pb_links(&block(&store, &global_cid));
    let names: Vec<&str> = links.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, [".ipfs-kit", "documents-bucket", "legacy-bucket"]);
    for (name, link) in &links[1..] {
        let b = &record["buckets"][name];
        for field in
            ["content_hash", "snapshot_hash", "parquet_file", "file_count", "total_size_bytes", "version", "car_ready"]
        {
            assert!(b.get(field).is_some(), "bucket {name} lacks {field}");
        }
        assert_eq!(*link, cid(b["content_hash"].as_str().unwrap()));
        assert_eq!(*link, cid(&kit.root(name)), "the snapshot's entry is the bucket's root");
        // snapshot_hash: the CID of the index file as any UnixFS importer makes it.
        let index = vfs.join(b["parquet_file"].as_str().unwrap());
        let ours = kit.ok(&["hash", s(&index), "--cid-base", "base58btc"]);
        assert_eq!(ours.trim(), b["snapshot_hash"]);
        if peers_available() {
            let helia = helia_cids(json!({"profile": "unixfs-v1-2025"}), std::slice::from_ref(&index));
            assert_eq!(cid(&helia[0]), cid(b["snapshot_hash"].as_str().unwrap()), "Helia agrees");
        }
    }
    assert!(record["buckets"]["legacy-bucket"]["content_hash"].as_str().unwrap().starts_with("Qm"));
    // The index folder holds each bucket's index under its file name.
    let meta = pb_links(&block(&store, &links[0].1));
    let indexes = pb_links(&block(&store, &meta[0].1));
    assert_eq!(meta[0].0, "buckets");
    assert_eq!(indexes[0].0, "documents-bucket_vfs.parquet");
    assert_eq!(indexes[0].1, cid(record["buckets"]["documents-bucket"]["snapshot_hash"].as_str().unwrap()));

    // manifest_hash: the raw CID of the record's canonical JSON without it; the block is stored.
    let mut canonical = record.clone();
    canonical.as_object_mut().unwrap().remove("manifest_hash");
    let bytes = serde_json::to_vec(&canonical).unwrap();
    let manifest_cid = cid(record["manifest_hash"].as_str().unwrap());
    assert_eq!(manifest_cid.codec(), 0x55);
    assert_eq!(manifest_cid.hash().digest(), Sha256::digest(&bytes).as_slice());
    assert_eq!(block(&store, &manifest_cid), bytes);
}

/// The CID `ipfs-kit hash` gives a file (a raw block for small files under the default profile).
fn file_cid(path: &Path) -> Cid {
    cid(&common::our_cids(&[], &[path.to_owned()]).remove(0))
}

#[test]
fn prune_and_gc_free_only_what_nothing_kept_reaches() {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(3);
    let f: Vec<PathBuf> = (0..6).map(|i| write(src.path(), &format!("f{i}.bin"), &rng.bytes(5000 + i))).collect();
    let has = |p: &Path| BlockStore::open(&kit.path().join("store")).unwrap().has(&file_cid(p)).unwrap();
    kit.ok(&["bucket", "create", "b"]);
    kit.ok(&["bucket", "add", "b", s(&f[0]), s(&f[1])]);
    let s1 = snapshot(&kit, &[]);
    kit.ok(&["bucket", "rm-file", "b", "f0.bin"]); // f0 now only in s1
    kit.ok(&["bucket", "add", "b", s(&f[2])]);
    let s2 = snapshot(&kit, &[]);
    kit.ok(&["bucket", "add", "b", s(&f[3])]);
    kit.ok(&["bucket", "rm-file", "b", "f3.bin"]); // f3: never snapshotted, gone
    kit.ok(&["bucket", "create", "tmp"]);
    kit.ok(&["bucket", "add", "tmp", s(&f[4])]);
    kit.ok(&["bucket", "rm", "tmp"]); // f4: its bucket is gone

    let dry = kit.json(&["gc", "--dry-run"]);
    assert!(dry["dead_blocks"].as_u64().unwrap() >= 2, "{dry}");
    assert!(has(&f[3]) && has(&f[4]), "a dry run deletes nothing");
    let done = kit.json(&["gc"]);
    assert_eq!(done["dead_blocks"], dry["dead_blocks"]);
    assert!(!has(&f[3]) && !has(&f[4]), "unreachable blocks are gone");
    assert!(has(&f[0]) && has(&f[1]) && has(&f[2]), "blocks of the bucket and of both snapshots stay");

    let pruned = kit.json(&["snapshots", "prune", "--keep", "1"]);
    assert_eq!(pruned["removed"], json!([s1["snapshot_id"]]));
    kit.ok(&["gc"]);
    assert!(!has(&f[0]), "the dropped snapshot's only block is gone");
    assert!(has(&f[1]) && has(&f[2]));
    let check = kit.json(&["check", "--read-data"]);
    assert_eq!(check["errors"], json!([]), "{check}");
    // The kept snapshot still restores, index and all.
    kit.ok(&["bucket", "add", "b", s(&f[5])]);
    kit.ok(&["gc"]);
    kit.ok(&["bucket", "restore", "b", "--snapshot", s2["snapshot_id"].as_str().unwrap()]);
    assert_eq!(files(&kit, "b").keys().cloned().collect::<Vec<_>>(), ["f1.bin", "f2.bin"]);
    let out = kit.run(&["bucket", "cat", "b", "f2.bin"]);
    assert_eq!(out.stdout, std::fs::read(&f[2]).unwrap());
    assert!(
        kit.run(&["bucket", "restore", "b", "--snapshot", s1["snapshot_id"].as_str().unwrap()]).status.code()
            == Some(1)
    );
}

/// Runs `check` (with extra flags) and returns (exit code, stdout).
fn check(kit: &Kit, flags: &[&str]) -> (i32, String) {
    let mut args = vec!["check"];
    args.extend_from_slice(flags);
    let out = kit.run(&args);
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn check_finds_damage_and_names_the_repair() {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(4);
    let a = write(src.path(), "a.bin", &rng.bytes(7000));
    let b = write(src.path(), "b.bin", &rng.bytes(8000));
    kit.ok(&["bucket", "create", "c"]);
    kit.ok(&["bucket", "add", "c", s(&a), s(&b)]);
    snapshot(&kit, &[]);
    assert_eq!(check(&kit, &["--read-data"]).0, 0);

    // A flipped byte in a block: found when data is read, repaired by dropping it and adding again.
    let packs = kit.path().join("store/packs");
    let a_bytes = std::fs::read(&a).unwrap();
    let mut flipped = false;
    for pack in std::fs::read_dir(&packs).unwrap() {
        let path = pack.unwrap().path();
        let mut bytes = std::fs::read(&path).unwrap();
        if let Some(at) = bytes.windows(64).position(|w| w == &a_bytes[..64]) {
            bytes[at + 10] ^= 0x20;
            std::fs::write(&path, bytes).unwrap();
            flipped = true;
        }
    }
    assert!(flipped);
    let a_cid = file_cid(&a).to_string();
    let (code, out) = check(&kit, &["--read-data"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("error: block {a_cid}")) && out.contains("repair: `ipfs-kit check --read-data --repair`"),
        "{out}"
    );
    assert!(kit.run(&["bucket", "cat", "c", "a.bin"]).status.code() == Some(1), "reads refuse the damaged block");
    // Dropping the damaged block leaves a missing one, which still needs the user: exit 1.
    let (code, out) = check(&kit, &["--read-data", "--repair"]);
    assert_eq!(code, 1);
    assert!(out.contains("repaired: dropped 1 damaged blocks"), "{out}");
    let (code, out) = check(&kit, &[]);
    assert_eq!(code, 1);
    assert!(out.contains(&format!("block {a_cid} is missing")) && out.contains("ipfs-kit bucket add"), "{out}");
    kit.ok(&["bucket", "add", "c", s(&a)]);
    assert_eq!(check(&kit, &["--read-data"]).0, 0, "adding the file again repairs it");

    // A block lost from the index: a dangling link.
    let b_cid = file_cid(&b);
    let db = rusqlite::Connection::open(kit.path().join("store/blocks.sqlite")).unwrap();
    assert_eq!(db.execute("DELETE FROM blocks WHERE mh = ?1", [b_cid.hash().to_bytes()]).unwrap(), 1);
    drop(db);
    let (code, out) = check(&kit, &[]);
    assert_eq!(code, 1);
    assert!(out.contains(&format!("block {b_cid} is missing")), "{out}");
    kit.ok(&["bucket", "add", "c", s(&b)]);
    assert_eq!(check(&kit, &[]).0, 0);

    // A Parquet index row that disagrees with the DAG (an old index file put back).
    let index = kit.path().join("vfs/buckets/c_vfs.parquet");
    let old = std::fs::read(&index).unwrap();
    std::fs::write(&a, b"a changed file").unwrap();
    kit.ok(&["bucket", "add", "c", s(&a)]);
    std::fs::write(&index, old).unwrap();
    let (code, out) = check(&kit, &[]);
    assert_eq!(code, 1);
    assert!(out.contains("index row \"a.bin\"") && out.contains("`ipfs-kit bucket reindex c`"), "{out}");
    kit.ok(&["bucket", "reindex", "c"]);
    assert_eq!(check(&kit, &["--read-data"]).0, 0);
}
