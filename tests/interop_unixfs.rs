//! Differential tests: the CIDs `ipfs-kit hash` prints against Helia's importer, Kubo's importer
//! and ipfs-car, on generated inputs. Nothing here is a hand-written CID.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use common::{Rng, helia_cids, ipfs_car_cid, kubo_cids, our_cids, peers_available, write};
use serde_json::json;

const V1: &str = "unixfs-v1-2025";
const V0: &str = "unixfs-v0-2015";
const MIB: usize = 1024 * 1024;
const KIB: usize = 1024;

/// Writes one random file per size and returns the paths.
fn files_of_sizes(root: &Path, sizes: &[usize], seed: u64) -> Vec<PathBuf> {
    let mut rng = Rng::new(seed);
    sizes.iter().map(|&n| write(root, &format!("f{n}.bin"), &rng.bytes(n))).collect()
}

fn assert_same(what: &str, ours: &[String], theirs: &[String], paths: &[PathBuf]) {
    assert_eq!(ours.len(), paths.len(), "{what}: one CID per path");
    for ((o, t), p) in ours.iter().zip(theirs).zip(paths) {
        assert_eq!(o, t, "{what}: CID differs for {}", p.display());
    }
}

#[test]
fn files_at_chunk_boundaries() {
    if !peers_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for (profile, chunk) in [(V1, MIB), (V0, 256 * KIB)] {
        let dir = tmp.path().join(profile);
        let paths = files_of_sizes(&dir, &[0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk + 17], 1);
        let ours = our_cids(&["--profile", profile], &paths);
        assert_same(&format!("{profile} vs helia"), &ours, &helia_cids(json!({"profile": profile}), &paths), &paths);
        if profile == V0 {
            assert_same("v0 vs kubo", &ours, &kubo_cids(&paths), &paths);
        } else {
            let car: Vec<String> = paths.iter().map(|p| ipfs_car_cid(p)).collect();
            assert_same("ipfs-car", &our_cids(&["--profile", "ipfs-car"], &paths), &car, &paths);
        }
    }
}

#[test]
fn files_at_and_over_max_links() {
    if !peers_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // Small chunks make every layout boundary cheap: one level full, one over, two levels full,
    // two levels and one chunk over.
    let (chunk, links) = (256usize, 8usize);
    let sizes =
        [links * chunk, links * chunk + 1, links * links * chunk, links * links * chunk + chunk, 600 * chunk + 5];
    for profile in [V1, V0] {
        let paths = files_of_sizes(&tmp.path().join(profile), &sizes, 2);
        let flags = ["--profile", profile, "--chunker", "size-256", "--max-links", "8"];
        let spec = json!({"profile": profile, "chunkSize": chunk, "maxLinks": links});
        assert_same(&format!("{profile} small layout"), &our_cids(&flags, &paths), &helia_cids(spec, &paths), &paths);
    }
    // unixfs-v0-2015 at its own scale: exactly 174 chunks of 256 KiB, and one more.
    let chunk = 256 * KIB;
    let paths = files_of_sizes(&tmp.path().join("v0-full"), &[174 * chunk, 175 * chunk], 3);
    let ours = our_cids(&["--profile", V0], &paths);
    assert_same("v0 max links vs helia", &ours, &helia_cids(json!({"profile": V0}), &paths), &paths);
    assert_same("v0 max links vs kubo", &ours, &kubo_cids(&paths), &paths);
}

/// A nested tree with the names and shapes that trip importers up.
fn awkward_tree(root: &Path) {
    let mut rng = Rng::new(42);
    write(root, "a.txt", b"alpha\n");
    write(root, "empty.txt", b"");
    write(root, "with space.txt", b"space\n");
    write(root, "unicode-\u{e9}\u{e8}-\u{65e5}\u{672c}.txt", "unicod\u{e9}\n".as_bytes());
    write(root, "Z-upper.txt", b"zulu\n");
    write(root, "big.bin", &rng.bytes(1_300_000));
    write(root, ".hidden/secret.txt", b"hidden\n");
    write(root, ".dotfile", b"dot\n");
    write(root, "sub1/deep/deeper/deepest/g.txt", b"golf\n");
    write(root, "sub1/deep/h.bin", &rng.bytes(262_145));
    write(root, "sub2/x/l.txt", b"lima\n");
    std::fs::create_dir_all(root.join("emptydir")).unwrap();
    std::fs::create_dir_all(root.join("sub2/only-empty/inner")).unwrap();
}

#[test]
fn nested_trees_with_awkward_names() {
    if !peers_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("tree");
    awkward_tree(&root);
    let paths = vec![root.clone()];
    for profile in [V1, V0] {
        let ours = our_cids(&["--profile", profile], &paths);
        assert_same(&format!("{profile} tree"), &ours, &helia_cids(json!({"profile": profile}), &paths), &paths);
        let ours = our_cids(&["--profile", profile, "--hidden"], &paths);
        let spec = json!({"profile": profile, "hidden": true});
        assert_same(&format!("{profile} tree --hidden"), &ours, &helia_cids(spec, &paths), &paths);
        if profile == V0 {
            // Kubo's AddFile takes hidden files.
            assert_same("v0 tree vs kubo", &ours, &kubo_cids(&paths), &paths);
        }
    }
    assert_eq!(our_cids(&["--profile", "ipfs-car"], &paths), vec![ipfs_car_cid(&root)], "ipfs-car tree");
}

#[test]
fn symlinks_are_nodes_not_followed() {
    if !peers_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("links");
    write(&root, "target.txt", b"pointed at\n");
    write(&root, "dir/inner.txt", b"inner\n");
    std::os::unix::fs::symlink("target.txt", root.join("rel-link")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", root.join("abs-link")).unwrap();
    std::os::unix::fs::symlink("../missing", root.join("dir/dangling")).unwrap();
    std::os::unix::fs::symlink("dir", root.join("dir-link")).unwrap();
    let paths = vec![root];
    assert_same("symlinks vs kubo", &our_cids(&["--profile", V0, "--hidden"], &paths), &kubo_cids(&paths), &paths);
}

/// Writes `count` files holding "x", named with `len` random characters (the last one
/// `last_len`), like Kubo's HAMT threshold fixtures.
fn flat_dir(root: &Path, count: usize, len: usize, last_len: usize, seed: u64) {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = Rng::new(seed);
    let mut seen = HashSet::new();
    while seen.len() < count {
        let n = if seen.len() == count - 1 { last_len } else { len };
        let name: String = (0..n).map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize] as char).collect();
        if seen.insert(name.clone()) {
            write(root, &name, b"x");
        }
    }
}

#[test]
fn hamt_thresholds_and_deep_shards() {
    if !peers_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // unixfs-v1-2025 (block-bytes): 4765 links of 55 bytes plus one of 65 (at 262144) or
    // 66 (262145) bytes, plus 4 bytes of data.
    flat_dir(&t.join("v1-at"), 4766, 11, 21, 10);
    flat_dir(&t.join("v1-over"), 4766, 11, 22, 10);
    // unixfs-v0-2015 (links-bytes): 4096 * (30 + 34) = 262144; 4033 * (31 + 34) = 262145.
    flat_dir(&t.join("v0-at"), 4096, 30, 30, 11);
    flat_dir(&t.join("v0-over"), 4033, 31, 31, 11);
    // Several levels: 9000 entries give shards three levels deep, and a HAMT inside a HAMT.
    flat_dir(&t.join("deep"), 9000, 12, 12, 12);
    flat_dir(&t.join("deep/nested-big"), 6000, 40, 40, 13);
    let all: Vec<PathBuf> = ["v1-at", "v1-over", "v0-at", "v0-over", "deep"].iter().map(|d| t.join(d)).collect();
    for profile in [V1, V0] {
        let ours = our_cids(&["--profile", profile], &all);
        assert_same(&format!("{profile} HAMT"), &ours, &helia_cids(json!({"profile": profile}), &all), &all);
        if profile == V0 {
            // Kubo v0.22 (the wheel) shards at >= the threshold; IPIP-499 and Kubo since then
            // use >, so the directory exactly at the threshold is left out of this comparison.
            // The current Kubo's own vector for it is checked in `kubo_vectors.rs`.
            let not_at: Vec<PathBuf> = all.iter().filter(|p| !p.ends_with("v0-at")).cloned().collect();
            let ours: Vec<String> =
                ours.iter().zip(&all).filter(|(_, p)| !p.ends_with("v0-at")).map(|(c, _)| c.clone()).collect();
            assert_same("v0 HAMT vs kubo", &ours, &kubo_cids(&not_at), &not_at);
        }
    }
    // The sharding decision itself: "at" stays a plain directory, "over" becomes a HAMT.
    for (dir, profile, hamt) in
        [("v1-at", V1, false), ("v1-over", V1, true), ("v0-at", V0, false), ("v0-over", V0, true)]
    {
        let path = t.join(dir).to_string_lossy().into_owned();
        let json = common::ipfs_kit_ok(&["hash", "--profile", profile, "--json", &path]);
        let blocks = serde_json::from_str::<serde_json::Value>(&json[0]).unwrap()["blocks"].as_u64().unwrap();
        // A plain directory is 1 block plus the one shared "x" leaf; a HAMT has many shards.
        assert_eq!(blocks > 2, hamt, "{dir}: {blocks} blocks");
    }
    // ipfs-car shards by entry count: 1000 entries stay plain, 1001 shard.
    flat_dir(&t.join("car-1000"), 1000, 8, 8, 14);
    flat_dir(&t.join("car-1001"), 1001, 8, 8, 14);
    for dir in ["car-1000", "car-1001"] {
        let path = t.join(dir);
        assert_eq!(
            our_cids(&["--profile", "ipfs-car"], std::slice::from_ref(&path)),
            vec![ipfs_car_cid(&path)],
            "{dir}"
        );
    }
}

#[test]
fn bucket_add_cids_and_content_hashes_match_the_oracles() {
    // `bucket add` also computes each file's SHA-256; with raw leaves that shares a pass with
    // the leaf hashing (sha256x2), one batch or several (batches are 8 MiB).
    if !peers_available() {
        return;
    }
    use sha2::{Digest, Sha256};
    let tmp = tempfile::tempdir().unwrap();
    let (src, home) = (tmp.path().join("src"), tmp.path().join("home"));
    let sizes = [0, 1, 55, 64, MIB - 1, MIB, MIB + 1, 3 * MIB + 17, 8 * MIB, 8 * MIB + 64, 20 * MIB + 5];
    let paths = files_of_sizes(&src, &sizes, 7);
    let home = home.to_string_lossy();
    common::ipfs_kit_ok(&["--home", &home, "bucket", "create", "b", "-q"]);
    let mut args = vec!["--home", &*home, "bucket", "add", "b", "-q"];
    let names: Vec<String> = paths.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    args.extend(names.iter().map(String::as_str));
    common::ipfs_kit_ok(&args);
    let rows: Vec<serde_json::Value> = common::ipfs_kit_ok(&["--home", &home, "bucket", "files", "b", "--json"])
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let row = |p: &PathBuf| {
        let name = p.file_name().unwrap().to_string_lossy();
        rows.iter().find(|r| r["path"] == *name).unwrap_or_else(|| panic!("{name} listed"))
    };
    let ours: Vec<String> = paths.iter().map(|p| row(p)["cid"].as_str().unwrap().to_owned()).collect();
    assert_same("bucket add vs helia", &ours, &helia_cids(json!({"profile": V1}), &paths), &paths);
    for p in &paths {
        let sha: String = Sha256::digest(std::fs::read(p).unwrap()).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(row(p)["content_hash"], sha, "content_hash of {}", p.display());
    }
}
