//! Kubo's IPIP-499 conformance vectors (`test/cli/cid_profiles_test.go`), regenerated from the
//! same deterministic recipe: file bytes are the ChaCha20 keystream under key SHA-256(seed) and
//! a zero nonce; directory entry names are bytes of that stream mapped onto Kubo's
//! `AlphabetEasy`, each file holding "x". The expected CIDs are the ones Kubo's test asserts.
//! The two 1 GiB vectors stream from the generator straight into the importer, so they need no
//! disk and take about two seconds; they always run.

mod common;

use std::io::Read;
use std::path::Path;

use chacha20::ChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher};
use ipfs_kit_unixfs::{NullSink, Profile, file::import_file};
use sha2::{Digest, Sha256};

/// Kubo's `testutils.DeterministicRandomReader(size, seed)`.
struct KuboRandom {
    cipher: ChaCha20,
    remaining: u64,
}

impl KuboRandom {
    fn new(size: u64, seed: &str) -> Self {
        let key: [u8; 32] = Sha256::digest(seed.as_bytes()).into();
        KuboRandom { cipher: ChaCha20::new(&key.into(), &[0u8; 12].into()), remaining: size }
    }
}

impl Read for KuboRandom {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.remaining as usize);
        buf[..n].fill(0);
        self.cipher.apply_keystream(&mut buf[..n]);
        self.remaining -= n as u64;
        Ok(n)
    }
}

fn file_cid(size: u64, seed: &str, profile: &Profile) -> String {
    let mut reader = KuboRandom::new(size, seed);
    import_file(&mut reader, Path::new(seed), profile, &mut NullSink).unwrap().cid.to_string()
}

/// Kubo's `createDeterministicFiles`: `count` files of "x", names of `len` characters (the last
/// one `last_len`).
fn kubo_dir(root: &Path, count: usize, len: usize, last_len: usize, seed: &str) {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz01234567890-_";
    let mut names = KuboRandom::new(1 << 20, seed);
    std::fs::create_dir_all(root).unwrap();
    for i in 0..count {
        let n = if i == count - 1 { last_len } else { len };
        let mut buf = vec![0u8; n];
        names.read_exact(&mut buf).unwrap();
        let name: String = buf.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
        std::fs::write(root.join(name), b"x").unwrap();
    }
}

fn dir_cid(root: &Path, profile: &str) -> String {
    common::ipfs_kit_ok(&["hash", "--profile", profile, &root.to_string_lossy()]).remove(0)
}

#[test]
fn unixfs_v0_2015_small_file_and_max_links() {
    let p = Profile::UNIXFS_V0_2015;
    assert_eq!(hash_hello(&["--profile", "unixfs-v0-2015"]), "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD");
    assert_eq!(file_cid(44544 * 1024, "v0-seed", &p), "QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2");
    assert_eq!(file_cid(44800 * 1024, "v0-seed", &p), "QmepeWtdmS1hHXx1oZXsPUv6bMrfRRKfZcoPPU4eEfjnbf");
}

#[test]
fn unixfs_v0_2015_hamt_threshold() {
    let tmp = tempfile::tempdir().unwrap();
    let basic = tmp.path().join("basic");
    kubo_dir(&basic, 4096, 30, 30, "hamt-unixfs-v0-2015");
    assert_eq!(dir_cid(&basic, "unixfs-v0-2015"), "QmX5GtRk3TSSEHtdrykgqm4eqMEn3n2XhfkFAis5fjyZmN");
    let hamt = tmp.path().join("hamt");
    kubo_dir(&hamt, 4033, 31, 31, "hamt-unixfs-v0-2015");
    assert_eq!(dir_cid(&hamt, "unixfs-v0-2015"), "QmeMiJzmhpJAUgynAcxTQYek5PPKgdv3qEvFsdV3XpVnvP");
}

#[test]
fn unixfs_v1_2025_small_file_and_hamt_threshold() {
    assert_eq!(hash_hello(&[]), "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
    let tmp = tempfile::tempdir().unwrap();
    let basic = tmp.path().join("basic");
    kubo_dir(&basic, 4766, 11, 21, "hamt-unixfs-v1-2025");
    assert_eq!(dir_cid(&basic, "unixfs-v1-2025"), "bafybeic3h7rwruealwxkacabdy45jivq2crwz6bufb5ljwupn36gicplx4");
    let hamt = tmp.path().join("hamt");
    kubo_dir(&hamt, 4766, 11, 22, "hamt-unixfs-v1-2025");
    assert_eq!(dir_cid(&hamt, "unixfs-v1-2025"), "bafybeiegvuterwurhdtkikfhbxcldohmxp566vpjdofhzmnhv6o4freidu");
}

#[test]
fn unixfs_v1_2025_max_links_1gib() {
    let p = Profile::UNIXFS_V1_2025;
    assert_eq!(file_cid(1024 << 20, "v1-2025-seed", &p), "bafybeihmf37wcuvtx4hpu7he5zl5qaf2ineo2lqlfrapokkm5zzw7zyhvm");
    assert_eq!(file_cid(1025 << 20, "v1-2025-seed", &p), "bafybeihmzokxxjqwxjcryerhp5ezpcog2wcawfryb2xm64xiakgm4a5jue");
}

/// `ipfs-kit hash FLAGS hello.txt` for the 11 bytes "hello world".
fn hash_hello(flags: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = common::write(dir.path(), "hello.txt", b"hello world");
    common::our_cids(flags, &[path]).remove(0)
}
