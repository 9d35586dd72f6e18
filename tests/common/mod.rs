//! Shared test support: running the binary, deterministic fixtures and the interop peers.
//!
//! The peers (Helia's importer, ipfs-car, Kubo's importer) are installed by
//! `tests/interop/setup.sh`. Without them the interop tests skip with a message, unless
//! `IPFS_KIT_INTEROP=require` (set by `scripts/test.sh`, so CI fails instead of skipping).
#![allow(dead_code)]

pub mod kit;
pub mod peers;
pub mod serve;
pub mod storacha;
pub mod trustless;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `ipfs-kit` with `args` and returns its output.
pub fn ipfs_kit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ipfs-kit")).args(args).output().expect("run ipfs-kit")
}

/// Runs `ipfs-kit`, asserts success and returns stdout lines.
pub fn ipfs_kit_ok(args: &[&str]) -> Vec<String> {
    let out = ipfs_kit(args);
    assert!(out.status.success(), "ipfs-kit {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 stdout").lines().map(str::to_owned).collect()
}

/// `ipfs-kit hash` of several paths at once, with extra flags.
pub fn our_cids(flags: &[&str], paths: &[PathBuf]) -> Vec<String> {
    let mut args = vec!["hash"];
    args.extend_from_slice(flags);
    let paths: Vec<String> = paths.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    args.extend(paths.iter().map(String::as_str));
    ipfs_kit_ok(&args)
}

/// A small deterministic generator (splitmix64), so fixtures are the same bytes on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Writes `bytes` at `root/rel`, creating parent directories.
pub fn write(root: &Path, rel: &str, bytes: &[u8]) -> PathBuf {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
    std::fs::write(&path, bytes).expect("write fixture");
    path
}

/// The folder holding the interop peers.
pub fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop")
}

/// True if the peers are installed; panics if they are required but missing.
pub fn peers_available() -> bool {
    let dir = interop_dir();
    let ok = dir.join("node_modules/@helia/unixfs").is_dir()
        && dir.join("node_modules/ipfs-car").is_dir()
        && dir.join(".venv/bin/python").is_file();
    if !ok {
        if std::env::var("IPFS_KIT_INTEROP").as_deref() == Ok("require") {
            panic!("interop peers missing: run tests/interop/setup.sh");
        }
        eprintln!("SKIPPED: interop peers not installed (run tests/interop/setup.sh)");
    }
    ok
}

fn run_json_lines(mut cmd: Command) -> Vec<serde_json::Value> {
    let out = cmd.output().expect("start peer");
    assert!(out.status.success(), "peer {cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("peer JSON"))
        .collect()
}

fn cids_of(lines: Vec<serde_json::Value>) -> Vec<String> {
    lines.iter().map(|v| v["cid"].as_str().expect("cid").to_owned()).collect()
}

/// CIDs from Helia's importer (`@helia/unixfs`); `spec` is the oracle's JSON settings.
pub fn helia_cids(spec: serde_json::Value, paths: &[PathBuf]) -> Vec<String> {
    let mut cmd = Command::new("node");
    cmd.current_dir(interop_dir()).arg("unixfs-oracle.mjs").arg(spec.to_string()).args(paths);
    cids_of(run_json_lines(cmd))
}

/// CIDs from Kubo's importer (unixfs-v0-2015 defaults; hidden files included).
pub fn kubo_cids(paths: &[PathBuf]) -> Vec<String> {
    let repo = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new(interop_dir().join(".venv/bin/python"));
    cmd.arg(interop_dir().join("kubo-oracle.py")).arg(repo.path().join("repo")).args(paths);
    cids_of(run_json_lines(cmd))
}

/// The root CID `ipfs-car pack --no-wrap` prints for `path`.
pub fn ipfs_car_cid(path: &Path) -> String {
    let out_dir = tempfile::tempdir().expect("tempdir");
    let car = out_dir.path().join("out.car");
    let out = Command::new(interop_dir().join("node_modules/.bin/ipfs-car"))
        .arg("pack")
        .arg(path)
        .arg("--no-wrap")
        .arg("-o")
        .arg(&car)
        .output()
        .expect("start ipfs-car");
    assert!(out.status.success(), "ipfs-car failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8").trim().to_owned()
}

/// Two trees are equal: names, file bytes, symlink targets, folders (empty ones too).
pub fn assert_same_tree(a: &Path, b: &Path) {
    let meta_a = a.symlink_metadata().unwrap();
    let meta_b = b.symlink_metadata().unwrap_or_else(|_| panic!("{} missing", b.display()));
    assert_eq!(meta_a.file_type().is_symlink(), meta_b.file_type().is_symlink(), "{}", b.display());
    if meta_a.file_type().is_symlink() {
        assert_eq!(std::fs::read_link(a).unwrap(), std::fs::read_link(b).unwrap());
    } else if meta_a.is_dir() {
        assert!(meta_b.is_dir(), "{} is not a dir", b.display());
        let names = |p: &Path| {
            let mut v: Vec<_> = std::fs::read_dir(p).unwrap().map(|e| e.unwrap().file_name()).collect();
            v.sort();
            v
        };
        assert_eq!(names(a), names(b), "entries of {}", b.display());
        for name in names(a) {
            assert_same_tree(&a.join(&name), &b.join(&name));
        }
    } else {
        assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap(), "bytes of {}", b.display());
    }
}

/// `ipfs-kit --home HOME args…`, with output captured.
pub fn kit_cmd(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ipfs-kit"));
    cmd.arg("--home").arg(home).args(args).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    cmd
}

/// Runs `ipfs-kit --home HOME args…`, which must succeed; returns its stdout.
pub fn kit_ok(home: &Path, args: &[&str]) -> String {
    let out = kit_cmd(home, args).output().expect("start ipfs-kit");
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Starts a process that holds the writer lock at `lock` (as pid itself on "testhost", command
/// "test holder") until killed; returns once the lock is held.
pub fn hold_lock(lock: &Path) -> std::process::Child {
    use std::io::BufRead;
    let script = r#"
import fcntl, os, sys, time
f = open(sys.argv[1], "a+")
fcntl.flock(f, fcntl.LOCK_EX)
f.seek(0); f.truncate()
f.write(f"pid={os.getpid()}\nhost=testhost\nsince=1\ncommand=test holder\n"); f.flush()
print("held", flush=True)
time.sleep(60)
"#;
    let mut holder =
        Command::new("python3").arg("-c").arg(script).arg(lock).stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(holder.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "held");
    holder
}
