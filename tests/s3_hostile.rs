//! `ipfs-kit serve --s3` against hostile input and crashes: keys that cannot be paths, bodies
//! that lie about their length, stop or go silent, multipart Completes that name the wrong
//! parts, clients and the server killed mid-transfer, digests that do not match, and requests
//! with no, unknown or over-long credentials.
//!
//! Requests are sent by `tests/s3/hostile.py` (boto3 for ordinary calls, raw sockets with
//! botocore's SigV4 signing for malformed ones), one JSON command per line, so each test reads
//! the server's exact status and S3 error `<Code>`. Every test uses a fresh home with one
//! bucket and its own server, and ends with [`Env::finish`]: no temporary pack is left under
//! `HOME/store/packs`, the server still stores and returns a new object, and `ipfs-kit check
//! --read-data` exits 0.
//!
//! The peers come from `tests/interop/setup.sh` (boto3 in its venv); without them these tests
//! skip, unless `IPFS_KIT_INTEROP=require`.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::kit::Kit;
use common::serve::{Server, sha256_hex};
use common::{Rng, interop_dir};
use serde_json::{Value, json};

const BUCKET: &str = "hostile";
const MIB: usize = 1 << 20;
/// How long one helper command may take (the largest moves a few MiB).
const CALL_TIMEOUT: Duration = Duration::from_secs(300);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn python() -> PathBuf {
    interop_dir().join(".venv/bin/python")
}

fn helper_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/s3/hostile.py")
}

/// True if the venv with boto3 exists; panics if the peers are required but missing.
fn peers_available() -> bool {
    let ok = python().is_file()
        && Command::new(python())
            .args(["-c", "import boto3, botocore"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var("IPFS_KIT_INTEROP").as_deref() == Ok("require") {
            panic!("boto3 missing: run tests/interop/setup.sh");
        }
        eprintln!("SKIPPED: boto3 not installed (run tests/interop/setup.sh)");
    }
    ok
}

/// `hostile.py` in command mode: one JSON command in, one JSON answer out.
struct Peer {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

impl Peer {
    fn start(endpoint: &str, id: &str, secret: &str) -> Peer {
        let mut child = Command::new(python())
            .arg(helper_script())
            .args([endpoint, id, secret])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start hostile.py");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Peer { child, stdin, lines }
    }

    fn call(&mut self, cmd: Value) -> Value {
        writeln!(self.stdin, "{cmd}").expect("write to hostile.py");
        self.stdin.flush().unwrap();
        let line = self
            .lines
            .recv_timeout(CALL_TIMEOUT)
            .unwrap_or_else(|e| panic!("hostile.py gave no answer to {cmd} ({e})"));
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("hostile.py said {line:?}: {e}"));
        assert!(v.get("exception").is_none(), "hostile.py failed on {cmd}: {v}");
        v
    }

    /// `client.CALL(**args)` with boto3; `body` (a BODY spec of hostile.py) as `Body`.
    fn boto(&mut self, call: &str, args: Value, body: Option<Value>) -> Value {
        let mut cmd = json!({"op": "boto", "call": call, "args": args});
        if let Some(body) = body {
            cmd["body"] = body;
        }
        self.call(cmd)
    }

    /// One request on a raw socket (see hostile.py's `raw`); `extra` adds fields to the command.
    fn raw(&mut self, method: &str, path: &str, extra: Value) -> Value {
        let mut cmd = json!({"op": "raw", "method": method, "path": path});
        for (k, v) in extra.as_object().expect("an object") {
            cmd[k] = v.clone();
        }
        self.call(cmd)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A home with bucket [`BUCKET`] and a read-write key, its server, and a peer talking to it.
struct Env {
    kit: Kit,
    server: Server,
    peer: Peer,
    id: String,
    secret: String,
    /// Scratch files (bodies, trees to hash).
    work: tempfile::TempDir,
}

impl Env {
    fn new() -> Option<Env> {
        if !peers_available() {
            return None;
        }
        let kit = Kit::new();
        kit.ok(&["bucket", "create", BUCKET]);
        let key = kit.json(&["s3", "key", "create"]);
        let id = key["access_key_id"].as_str().expect("access_key_id").to_owned();
        let secret = key["secret_access_key"].as_str().expect("secret_access_key").to_owned();
        let server = Server::start_s3(kit.path(), &[]);
        let peer = Peer::start(&server.s3_url, &id, &secret);
        Some(Env { kit, server, peer, id, secret, work: tempfile::tempdir().unwrap() })
    }

    /// A server (and peer) on the same home again, after the old one was killed.
    fn restart(&mut self) {
        self.server = Server::start_s3(self.kit.path(), &[]);
        self.peer = Peer::start(&self.server.s3_url, &self.id, &self.secret);
    }

    /// `hostile.py … slow-put` as a child (see its usage), stdout piped.
    fn slow_put(&self, key: &str, declared: u64, send: usize, chunk: usize, pause: f64, then: &str) -> Child {
        self.slow_upload(key, "", declared, send, chunk, pause, then)
    }

    /// As [`Env::slow_put`], with a query (`partNumber=N&uploadId=ID` makes it an UploadPart).
    #[allow(clippy::too_many_arguments)]
    fn slow_upload(
        &self,
        key: &str,
        query: &str,
        declared: u64,
        send: usize,
        chunk: usize,
        pause: f64,
        then: &str,
    ) -> Child {
        Command::new(python())
            .arg(helper_script())
            .args([&self.server.s3_url, &self.id, &self.secret, "slow-put", BUCKET, key])
            .args([declared.to_string(), send.to_string(), chunk.to_string(), pause.to_string(), then.to_owned()])
            .arg(query)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start hostile.py slow-put")
    }

    /// Writes `bytes` to a scratch file and gives the BODY spec naming it.
    fn body_file(&self, name: &str, bytes: &[u8]) -> (PathBuf, Value) {
        let path = self.work.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let spec = json!({"file": path.to_str().unwrap()});
        (path, spec)
    }

    /// The paths `bucket files` lists.
    fn files(&self) -> BTreeSet<String> {
        self.kit
            .ok(&["bucket", "files", BUCKET, "--json"])
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["path"].as_str().unwrap().to_owned())
            .collect()
    }

    fn root(&self) -> String {
        self.kit.root(BUCKET)
    }

    /// `HEAD` of `key` answers 404: no object.
    fn assert_absent(&mut self, key: &str) {
        let head = self.peer.boto("head_object", json!({"Bucket": BUCKET, "Key": key}), None);
        assert_eq!(head["status"], 404, "{key:?} should not exist: {head}");
    }

    /// PUT then GET of a new object: the server still works.
    fn assert_serves(&mut self, key: &str, bytes: &[u8]) {
        let (_, body) = self.body_file(&format!("serve-{}", sha256_hex(key.as_bytes())), bytes);
        let put = self.peer.boto("put_object", json!({"Bucket": BUCKET, "Key": key}), Some(body));
        assert_eq!(put["status"], 200, "PUT {key:?}: {put}; server stderr: {}", self.server.stderr());
        let get = self.peer.boto("get_object", json!({"Bucket": BUCKET, "Key": key}), None);
        assert_eq!(get["status"], 200, "GET {key:?}: {get}");
        assert_eq!(get["result"]["body_sha256"].as_str(), Some(sha256_hex(bytes).as_str()), "GET {key:?}: {get}");
    }

    /// The end of every test: no temporary pack, a normal PUT+GET works, `check --read-data`
    /// is clean.
    fn finish(mut self) {
        wait_no_tmp_packs(self.kit.path(), Duration::from_secs(20));
        let bytes = Rng::new(0xa11e).bytes(3000);
        self.assert_serves("after/alive.bin", &bytes);
        assert!(self.files().contains("after/alive.bin"));
        check_clean(&self.kit);
        let status = self.server.stop();
        assert!(status.success(), "serve --s3 after SIGTERM: {status}; stderr: {}", self.server.stderr());
        check_clean(&self.kit);
    }
}

/// The answer is the S3 error `code` with `status` (a boto or raw answer).
#[track_caller]
fn assert_error(answer: &Value, status: u16, code: &str, what: &str) {
    assert_eq!(answer["status"], status, "{what}: {answer}");
    assert_eq!(answer["code"], code, "{what}: {answer}");
}

/// `ipfs-kit check --read-data` exits 0.
#[track_caller]
fn check_clean(kit: &Kit) {
    let out = kit.run(&["check", "--read-data"]);
    assert!(
        out.status.success(),
        "check --read-data: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Temporary packs (`*.pack.tmp`) under `HOME/store/packs`.
fn tmp_packs(home: &Path) -> Vec<String> {
    std::fs::read_dir(home.join("store/packs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pack.tmp"))
        .collect()
}

/// Waits until no temporary pack is left (an abandoned import removes its own).
#[track_caller]
fn wait_no_tmp_packs(home: &Path, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let left = tmp_packs(home);
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "temporary packs left after {timeout:?}: {left:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Reads `child`'s stdout lines until one satisfies `done`; returns it.
fn read_until(child: &mut Child, timeout: Duration, done: impl Fn(&str) -> bool) -> String {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + timeout;
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|e| panic!("the slow client said nothing matching in {timeout:?} ({e})"));
        if done(&line) {
            // Keep draining in the background so the child never blocks on a full pipe.
            std::thread::spawn(move || while rx.recv().is_ok() {});
            return line;
        }
    }
}

fn sent(line: &str) -> usize {
    line.strip_prefix("sent ").and_then(|n| n.parse().ok()).unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// 1. Keys
// ---------------------------------------------------------------------------------------------

/// Keys that cannot be bucket paths (`..`, `.`, empty names, NUL and control characters), sent
/// literally by botocore and percent-encoded on raw sockets, are refused with 400
/// `InvalidArgument` by PutObject, CreateMultipartUpload and CopyObject, and nothing is
/// written (files and root unchanged); keys with `&+-é"`, spaces, `%`, unicode and dots inside
/// names are stored and read back byte for byte.
#[test]
fn keys_that_cannot_be_paths_are_refused() {
    let Some(mut env) = Env::new() else { return };
    env.assert_serves("seed.txt", b"the seed object\n");
    let files_before = env.files();
    let root_before = env.root();

    // botocore sends these keys as they are (percent-encoding only what URLs need).
    let literal = ["../x", "a/../b", "a//b", "/a", "a/./b", "a/.", "..", ".", "x/..", "a\0b", "a\u{1}b", "a\nb"];
    let more = ["a\u{1b}[31mb", "del\u{7f}", "c1\u{85}x", "ok/../../../etc/passwd", "../"];
    for key in literal.iter().chain(more.iter()) {
        let put = env.peer.boto("put_object", json!({"Bucket": BUCKET, "Key": key}), Some(json!({"text": "escape"})));
        assert_error(&put, 400, "InvalidArgument", &format!("put_object {key:?}"));
    }
    for key in ["../x", "a//b", "a\0b"] {
        let create = env.peer.boto("create_multipart_upload", json!({"Bucket": BUCKET, "Key": key}), None);
        assert_error(&create, 400, "InvalidArgument", &format!("create_multipart_upload {key:?}"));
        let copy = env.peer.boto(
            "copy_object",
            json!({"Bucket": BUCKET, "Key": key, "CopySource": {"Bucket": BUCKET, "Key": "seed.txt"}}),
            None,
        );
        assert_error(&copy, 400, "InvalidArgument", &format!("copy_object to {key:?}"));
    }

    // Raw requests: the path as sent (signed over the same bytes, or over the canonical form
    // when it carries needless escapes such as %2E).
    let raw: [(&str, Option<&str>); 16] = [
        ("/hostile/../x", None),
        ("/hostile/a/../b", None),
        ("/hostile/a//b", None),
        ("/hostile//a", None),
        ("/hostile/a/./b", None),
        ("/hostile/a%00b", None),
        ("/hostile/%00", None),
        ("/hostile/a%01b", None),
        ("/hostile/a%0Ab", None),
        ("/hostile/a%0D%0Ab", None),
        ("/hostile/a%1Bb", None),
        ("/hostile/a%7F", None),
        ("/hostile/a%C2%85", None),
        ("/hostile/%2E%2E/x", Some("/hostile/../x")),
        ("/hostile/a%2F..%2Fb", Some("/hostile/a/../b")),
        ("/hostile/..%2F..%2Fescape", Some("/hostile/../../escape")),
    ];
    for (path, sign_path) in raw {
        let mut extra = json!({"body": {"text": "escape"}});
        if let Some(p) = sign_path {
            extra["sign_path"] = json!(p);
        }
        let put = env.peer.raw("PUT", path, extra);
        assert_error(&put, 400, "InvalidArgument", &format!("raw PUT {path}"));
    }
    // Not UTF-8 at all: refused (whatever the code), nothing stored.
    let put = env.peer.raw("PUT", "/hostile/a%FFb", json!({"body": {"text": "escape"}}));
    assert_eq!(put["status"], 400, "raw PUT of a key that is not UTF-8: {put}");

    assert_eq!(env.files(), files_before, "refused keys wrote nothing");
    assert_eq!(env.root(), root_before, "refused keys left the root alone");

    // Keys that are ordinary names, through boto3 and one percent-encoded raw PUT.
    let good = [
        "odd &+-é\"q.txt",
        "sp ace/ü file.txt",
        "uni/日本語 ñ-😀.txt",
        "100% sure=yes;no.txt",
        "a..b/...",
        ".env",
        "tab-less 'quote' (paren) [br] ~!.txt",
    ];
    let mut want = files_before.clone();
    for (i, key) in good.iter().enumerate() {
        let bytes = Rng::new(i as u64).bytes(100 + i * 37);
        env.assert_serves(key, &bytes);
        want.insert((*key).to_owned());
    }
    let put = env.peer.raw("PUT", "/hostile/raw%20%C3%A9%26%2B.txt", json!({"body": {"text": "raw body"}}));
    assert_eq!(put["status"], 200, "raw PUT of a percent-encoded ordinary key: {put}");
    let get = env.peer.boto("get_object", json!({"Bucket": BUCKET, "Key": "raw é&+.txt"}), None);
    assert_eq!(get["result"]["body_sha256"].as_str(), Some(sha256_hex(b"raw body").as_str()), "{get}");
    want.insert("raw é&+.txt".to_owned());
    assert_eq!(env.files(), want, "exactly the ordinary keys were added");
    env.finish();
}

// ---------------------------------------------------------------------------------------------
// 2. Bodies that lie, stop or go silent
// ---------------------------------------------------------------------------------------------

/// A PutObject declaring `Content-Length: 5368709121` gets 400 `EntityTooLarge` at once,
/// with and without `Expect: 100-continue`: no body is sent, so an answer (in well under the
/// 60 s read stall) shows the server decided from the header alone.
#[test]
fn a_put_declaring_5_gib_plus_one_is_refused_before_the_body() {
    let Some(mut env) = Env::new() else { return };
    let files_before = env.files();
    let started = Instant::now();
    let put = env.peer.raw("PUT", "/hostile/huge.bin", too_big());
    assert_error(&put, 400, "EntityTooLarge", "PUT declaring 5 GiB + 1");
    let mut expect = too_big();
    expect["headers"]["Expect"] = json!("100-continue");
    let put = env.peer.raw("PUT", "/hostile/huge.bin", expect);
    assert_error(&put, 400, "EntityTooLarge", "PUT declaring 5 GiB + 1 with Expect: 100-continue");
    assert!(started.elapsed() < Duration::from_secs(20), "the refusals took {:?}", started.elapsed());
    env.assert_absent("huge.bin");
    assert_eq!(env.files(), files_before);
    env.finish();
}

/// An UploadPart declaring `Content-Length: 5368709121` (a part is limited to 5 GiB, as in
/// S3) gets 400 `EntityTooLarge` at once, before any body, and the upload keeps no part.
#[test]
fn an_upload_part_declaring_5_gib_plus_one_is_refused_before_the_body() {
    let Some(mut env) = Env::new() else { return };
    let create = env.peer.boto("create_multipart_upload", json!({"Bucket": BUCKET, "Key": "huge-mp.bin"}), None);
    let upload_id = create["result"]["UploadId"].as_str().expect("an upload id").to_owned();
    let started = Instant::now();
    let mut part = too_big();
    part["query"] = json!(format!("partNumber=1&uploadId={upload_id}"));
    let put = env.peer.raw("PUT", "/hostile/huge-mp.bin", part);
    assert_error(&put, 400, "EntityTooLarge", "UploadPart declaring 5 GiB + 1");
    assert!(started.elapsed() < Duration::from_secs(20), "the refusal took {:?}", started.elapsed());
    let parts =
        env.peer.boto("list_parts", json!({"Bucket": BUCKET, "Key": "huge-mp.bin", "UploadId": upload_id}), None);
    assert_eq!(parts["status"], 200, "{parts}");
    assert!(parts["result"].get("Parts").is_none_or(|p| p.as_array().unwrap().is_empty()), "no part: {parts}");
    env.finish();
}

/// Raw-request fields for a signed PUT declaring 5 GiB + 1 bytes and sending none.
fn too_big() -> Value {
    json!({"headers": {"Content-Length": "5368709121"}, "payload_hash": "UNSIGNED-PAYLOAD"})
}

/// A PUT that declares more than it sends and then closes the socket stores nothing, for a
/// small body (read whole) and for large ones (streamed into a pack, 1 MiB and 12 MiB sent of
/// 100 MiB declared): no object, no `*.pack.tmp` left, files and root unchanged.
#[test]
fn a_body_cut_short_stores_nothing() {
    let Some(mut env) = Env::new() else { return };
    env.assert_serves("seed.txt", b"seed\n");
    let files_before = env.files();
    let root_before = env.root();
    for (key, declared, send) in [
        ("cut-small.bin", 512 * 1024, 100 * 1024),
        ("cut-1m.bin", 100 * MIB, MIB),
        ("cut-12m.bin", 100 * MIB, 12 * MIB),
    ] {
        let mut client = env.slow_put(key, declared as u64, send, 256 * 1024, 0.0, "close");
        read_until(&mut client, Duration::from_secs(120), |l| l == "closed");
        assert!(client.wait().unwrap().success());
        wait_no_tmp_packs(env.kit.path(), Duration::from_secs(20));
        env.assert_absent(key);
    }
    // An UploadPart cut short keeps no part.
    let create = env.peer.boto("create_multipart_upload", json!({"Bucket": BUCKET, "Key": "cut-mp.bin"}), None);
    let id = create["result"]["UploadId"].as_str().expect("an upload id").to_owned();
    let query = format!("partNumber=1&uploadId={id}");
    let mut client = env.slow_upload("cut-mp.bin", &query, 20 * MIB as u64, 6 * MIB, 256 * 1024, 0.0, "close");
    read_until(&mut client, Duration::from_secs(120), |l| l == "closed");
    assert!(client.wait().unwrap().success());
    wait_no_tmp_packs(env.kit.path(), Duration::from_secs(20));
    let list = env.peer.boto("list_parts", json!({"Bucket": BUCKET, "Key": "cut-mp.bin", "UploadId": id}), None);
    assert_eq!(list["status"], 200, "{list}");
    assert!(list["result"].get("Parts").is_none_or(|p| p.as_array().unwrap().is_empty()), "no part kept: {list}");

    assert_eq!(env.files(), files_before, "cut bodies wrote nothing");
    assert_eq!(env.root(), root_before);
    env.finish();
}

/// A PUT that sends 2 MiB of a declared 100 MiB and then goes silent holds one upload slot
/// only: meanwhile small and large PUTs, GETs and listings are answered promptly. After the
/// read stall (60 s) the silent client is answered 400 `RequestTimeout`, the object never
/// appears and no temporary pack is left.
#[test]
fn a_silent_body_does_not_stall_other_clients() {
    let Some(mut env) = Env::new() else { return };
    let files_before = env.files();
    let started = Instant::now();
    let mut silent = env.slow_put("silent.bin", 100 * MIB as u64, 2 * MIB, 256 * 1024, 0.0, "answer");
    let stdout = silent.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            let _ = tx.send(line);
        }
    });
    // Wait until the body has stopped.
    loop {
        let line = rx.recv_timeout(Duration::from_secs(60)).expect("the silent client started");
        if line == "waiting" {
            break;
        }
    }
    // Others are served meanwhile: a small object, a 3 MiB one (streamed, the second upload
    // slot), a listing and GETs.
    for round in 0..3 {
        let t = Instant::now();
        let small = Rng::new(round).bytes(1000);
        env.assert_serves(&format!("meanwhile/small-{round}.bin"), &small);
        let large = Rng::new(100 + round).bytes(3 * MIB);
        env.assert_serves(&format!("meanwhile/large-{round}.bin"), &large);
        let list = env.peer.boto("list_objects_v2", json!({"Bucket": BUCKET, "Prefix": "meanwhile/"}), None);
        assert_eq!(list["result"]["KeyCount"].as_u64(), Some(2 * (round + 1)), "{list}");
        assert!(t.elapsed() < Duration::from_secs(20), "round {round} took {:?} beside a silent body", t.elapsed());
    }
    env.assert_absent("silent.bin");
    // The stall ends with RequestTimeout (the default read stall is 60 s).
    let answer = loop {
        let line = rx.recv_timeout(Duration::from_secs(120)).expect("the server answered the silent client");
        if line.starts_with('{') {
            break serde_json::from_str::<Value>(&line).unwrap();
        }
    };
    let waited = started.elapsed();
    assert_error(&answer, 400, "RequestTimeout", "the silent PUT");
    assert!(waited >= Duration::from_secs(55), "gave up after {waited:?}, before the 60 s stall");
    assert!(silent.wait().unwrap().success());
    wait_no_tmp_packs(env.kit.path(), Duration::from_secs(20));
    env.assert_absent("silent.bin");
    let mut want = files_before;
    for round in 0..3 {
        want.insert(format!("meanwhile/small-{round}.bin"));
        want.insert(format!("meanwhile/large-{round}.bin"));
    }
    assert_eq!(env.files(), want);
    env.finish();
}

// ---------------------------------------------------------------------------------------------
// 3. Multipart
// ---------------------------------------------------------------------------------------------

fn completed(parts: &[(i64, &str)]) -> Value {
    json!({"Parts": parts.iter().map(|(n, e)| json!({"PartNumber": n, "ETag": e})).collect::<Vec<_>>()})
}

/// A Complete is checked against the parts received: a part never uploaded or with another
/// ETag is `InvalidPart`, a list out of order (or repeating a number) is `InvalidPartOrder`, a
/// non-last part under 5 MiB is `EntityTooSmall`, an unknown upload id (or one of another
/// key) is `NoSuchUpload` for every multipart call; refused Completes leave the upload whole.
/// After Abort, Complete is `NoSuchUpload`, and `gc` reclaims the parts' blocks (none were
/// dead before the Abort).
#[test]
fn multipart_completes_are_checked_and_aborts_are_collected() {
    let Some(mut env) = Env::new() else { return };
    let files_before = env.files();
    let key = "mp/object.bin";
    let create = env.peer.boto("create_multipart_upload", json!({"Bucket": BUCKET, "Key": key}), None);
    let id = create["result"]["UploadId"].as_str().expect("an upload id").to_owned();
    let data = Rng::new(3).bytes(11 * MIB);
    let (file, _) = env.body_file("mp.bin", &data);
    let mut etags = Vec::new();
    for (n, (offset, len)) in [(0, 5 * MIB), (5 * MIB, 5 * MIB), (10 * MIB, MIB)].into_iter().enumerate() {
        let body = json!({"file": file.to_str().unwrap(), "offset": offset, "len": len});
        let up = env.peer.boto(
            "upload_part",
            json!({"Bucket": BUCKET, "Key": key, "UploadId": id, "PartNumber": n + 1}),
            Some(body),
        );
        assert_eq!(up["status"], 200, "part {}: {up}", n + 1);
        let etag = up["result"]["ETag"].as_str().unwrap().to_owned();
        assert_eq!(etag, format!("\"{}\"", up["result"]["sent_md5"].as_str().unwrap()), "part ETag = MD5");
        etags.push(etag);
    }
    let (e1, e2, e3) = (etags[0].as_str(), etags[1].as_str(), etags[2].as_str());
    let complete = |env: &mut Env, upload: &str, k: &str, parts: Value| {
        env.peer.boto(
            "complete_multipart_upload",
            json!({"Bucket": BUCKET, "Key": k, "UploadId": upload, "MultipartUpload": parts}),
            None,
        )
    };
    let wrong = "\"0123456789abcdef0123456789abcdef\"";
    for (parts, code, what) in [
        (completed(&[(1, e1), (2, e2), (4, e3)]), "InvalidPart", "a part never uploaded"),
        (completed(&[(2, e2), (1, e1), (3, e3)]), "InvalidPartOrder", "parts out of order"),
        (completed(&[(1, e1), (1, e1), (3, e3)]), "InvalidPartOrder", "a part named twice"),
        (completed(&[(1, e1), (2, wrong), (3, e3)]), "InvalidPart", "a wrong ETag"),
        (completed(&[(1, e1), (3, e3), (2, e2)]), "InvalidPartOrder", "the last part in the middle"),
    ] {
        let answer = complete(&mut env, &id, key, parts);
        assert_error(&answer, 400, code, what);
    }
    // A second upload whose parts are all under 5 MiB.
    let small = env.peer.boto("create_multipart_upload", json!({"Bucket": BUCKET, "Key": "mp/small.bin"}), None);
    let small_id = small["result"]["UploadId"].as_str().unwrap().to_owned();
    let (small_file, _) = env.body_file("mp-small.bin", &Rng::new(4).bytes(2 * MIB));
    let mut small_etags = Vec::new();
    for n in 1..=2 {
        let body = json!({"file": small_file.to_str().unwrap(), "offset": (n - 1) * MIB, "len": MIB});
        let up = env.peer.boto(
            "upload_part",
            json!({"Bucket": BUCKET, "Key": "mp/small.bin", "UploadId": small_id, "PartNumber": n}),
            Some(body),
        );
        small_etags.push(up["result"]["ETag"].as_str().expect("an ETag").to_owned());
    }
    let answer =
        complete(&mut env, &small_id, "mp/small.bin", completed(&[(1, &small_etags[0]), (2, &small_etags[1])]));
    assert_error(&answer, 400, "EntityTooSmall", "two 1 MiB parts");

    // Unknown ids, and a real id under another key.
    for (upload, k) in [("no-such-upload", key), (id.as_str(), "mp/other.bin")] {
        let what = format!("upload {upload:?} of {k:?}");
        let answer = complete(&mut env, upload, k, completed(&[(1, e1)]));
        assert_error(&answer, 404, "NoSuchUpload", &format!("complete {what}"));
        let up = env.peer.boto(
            "upload_part",
            json!({"Bucket": BUCKET, "Key": k, "UploadId": upload, "PartNumber": 1}),
            Some(json!({"text": "x"})),
        );
        assert_error(&up, 404, "NoSuchUpload", &format!("upload_part {what}"));
        let list = env.peer.boto("list_parts", json!({"Bucket": BUCKET, "Key": k, "UploadId": upload}), None);
        assert_error(&list, 404, "NoSuchUpload", &format!("list_parts {what}"));
        let abort =
            env.peer.boto("abort_multipart_upload", json!({"Bucket": BUCKET, "Key": k, "UploadId": upload}), None);
        assert_error(&abort, 404, "NoSuchUpload", &format!("abort {what}"));
    }

    // The refusals left the upload whole.
    let list = env.peer.boto("list_parts", json!({"Bucket": BUCKET, "Key": key, "UploadId": id}), None);
    let listed: Vec<(u64, String)> = list["result"]["Parts"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|p| (p["PartNumber"].as_u64().unwrap(), p["ETag"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(listed, vec![(1, e1.to_owned()), (2, e2.to_owned()), (3, e3.to_owned())]);
    env.assert_absent(key);
    assert_eq!(env.files(), files_before, "no refused Complete wrote an object");

    // Parts of live uploads are gc roots.
    let dry = env.kit.json(&["gc", "--dry-run"]);
    assert_eq!(dry["dead_blocks"], 0, "nothing is dead while the uploads live: {dry}");

    for (upload, k) in [(id.as_str(), key), (small_id.as_str(), "mp/small.bin")] {
        let abort =
            env.peer.boto("abort_multipart_upload", json!({"Bucket": BUCKET, "Key": k, "UploadId": upload}), None);
        assert_eq!(abort["status"], 204, "abort: {abort}");
    }
    let answer = complete(&mut env, &id, key, completed(&[(1, e1), (2, e2), (3, e3)]));
    assert_error(&answer, 404, "NoSuchUpload", "complete after abort");
    let list = env.peer.boto("list_parts", json!({"Bucket": BUCKET, "Key": key, "UploadId": id}), None);
    assert_error(&list, 404, "NoSuchUpload", "list_parts after abort");
    let uploads = env.peer.boto("list_multipart_uploads", json!({"Bucket": BUCKET}), None);
    assert!(uploads["result"].get("Uploads").is_none_or(|u| u.as_array().unwrap().is_empty()), "{uploads}");

    let gc = env.kit.json(&["gc"]);
    assert!(gc["dead_blocks"].as_u64().unwrap() > 0, "gc after abort removed nothing: {gc}");
    // 11 MiB + 2 MiB of distinct part data became garbage (1 MiB leaves).
    assert!(gc["dead_bytes"].as_u64().unwrap() >= 13 * MIB as u64, "gc after abort: {gc}");
    let again = env.kit.json(&["gc"]);
    assert_eq!(again["dead_blocks"], 0, "a second gc finds nothing: {again}");
    env.assert_absent(key);
    env.finish();
}

/// A Complete retried after it succeeded (its answer lost) is answered with the stored result,
/// 200 and the same ETag, not `NoSuchUpload` (docs/s3-plan.md §4.3: "a retried Complete of a
/// `completed` upload answers the stored result"), and the object is written once.
#[test]
fn a_retried_complete_answers_the_stored_result() {
    let Some(mut env) = Env::new() else { return };
    let key = "retry/object.bin";
    let data = Rng::new(6).bytes(6 * MIB);
    let (file, _) = env.body_file("retry.bin", &data);
    let create = env.peer.boto("create_multipart_upload", json!({"Bucket": BUCKET, "Key": key}), None);
    let id = create["result"]["UploadId"].as_str().expect("an upload id").to_owned();
    let mut parts = Vec::new();
    for (n, (offset, len)) in [(0, 5 * MIB), (5 * MIB, MIB)].into_iter().enumerate() {
        let body = json!({"file": file.to_str().unwrap(), "offset": offset, "len": len});
        let up = env.peer.boto(
            "upload_part",
            json!({"Bucket": BUCKET, "Key": key, "UploadId": id, "PartNumber": n + 1}),
            Some(body),
        );
        parts.push((n as i64 + 1, up["result"]["ETag"].as_str().expect("an ETag").to_owned()));
    }
    let list: Vec<(i64, &str)> = parts.iter().map(|(n, e)| (*n, e.as_str())).collect();
    let args = json!({"Bucket": BUCKET, "Key": key, "UploadId": id, "MultipartUpload": completed(&list)});
    let first = env.peer.boto("complete_multipart_upload", args.clone(), None);
    assert_eq!(first["status"], 200, "{first}");
    let root = env.root();
    let again = env.peer.boto("complete_multipart_upload", args, None);
    assert_eq!(again["status"], 200, "the retried Complete: {again}");
    assert_eq!(again["result"]["ETag"], first["result"]["ETag"], "{again}");
    assert_eq!(env.root(), root, "the retry changed nothing");
    env.finish();
}

// ---------------------------------------------------------------------------------------------
// 4, 5. Crashes
// ---------------------------------------------------------------------------------------------

/// A client uploading 50 MiB slowly is killed (SIGKILL) after a few MiB: no object appears,
/// its temporary pack goes away, and the server keeps serving.
#[test]
fn a_client_killed_mid_body_leaves_nothing() {
    let Some(mut env) = Env::new() else { return };
    let files_before = env.files();
    let mut client = env.slow_put("killed.bin", 50 * MIB as u64, 50 * MIB, 256 * 1024, 0.05, "close");
    let line = read_until(&mut client, Duration::from_secs(120), |l| sent(l) >= 12 * MIB);
    client.kill().expect("kill -9 the client");
    client.wait().unwrap();
    assert!(sent(&line) < 50 * MIB, "killed before the end ({line})");
    wait_no_tmp_packs(env.kit.path(), Duration::from_secs(20));
    env.assert_absent("killed.bin");
    assert_eq!(env.files(), files_before);
    env.finish();
}

/// The server is killed (SIGKILL) between parts of a multipart upload: restarted on the same
/// home, ListParts shows both parts with their ETags, the last part and Complete succeed, the
/// object reads back byte for byte, and the bucket's root is `ipfs-kit hash --hidden` of a
/// tree holding the file at its key.
#[test]
fn a_server_killed_mid_multipart_resumes() {
    let Some(mut env) = Env::new() else { return };
    let key = "deep/dir/big.bin";
    let data = Rng::new(5).bytes(13 * MIB);
    let (file, _) = env.body_file("big.bin", &data);
    let create = env.peer.boto("create_multipart_upload", json!({"Bucket": BUCKET, "Key": key}), None);
    let id = create["result"]["UploadId"].as_str().expect("an upload id").to_owned();
    let ranges = [(0, 5 * MIB), (5 * MIB, 5 * MIB), (10 * MIB, 3 * MIB)];
    let upload = |env: &mut Env, n: usize| {
        let (offset, len) = ranges[n - 1];
        let body = json!({"file": file.to_str().unwrap(), "offset": offset, "len": len});
        let up = env.peer.boto(
            "upload_part",
            json!({"Bucket": BUCKET, "Key": key, "UploadId": id, "PartNumber": n}),
            Some(body),
        );
        assert_eq!(up["status"], 200, "part {n}: {up}");
        let etag = up["result"]["ETag"].as_str().unwrap().to_owned();
        assert_eq!(etag, format!("\"{}\"", up["result"]["sent_md5"].as_str().unwrap()));
        etag
    };
    let e1 = upload(&mut env, 1);
    let e2 = upload(&mut env, 2);

    let pid = env.server.pid().to_string();
    let killed = Command::new("kill").args(["-9", &pid]).status().unwrap();
    assert!(killed.success(), "kill -9 {pid}");
    let status = env.server.stop();
    assert!(!status.success(), "the server died of SIGKILL: {status}");
    env.restart();

    let list = env.peer.boto("list_parts", json!({"Bucket": BUCKET, "Key": key, "UploadId": id}), None);
    let listed: Vec<(u64, String, u64)> = list["result"]["Parts"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|p| {
            (p["PartNumber"].as_u64().unwrap(), p["ETag"].as_str().unwrap().to_owned(), p["Size"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(listed, vec![(1, e1.clone(), 5 * MIB as u64), (2, e2.clone(), 5 * MIB as u64)], "parts after restart");
    let e3 = upload(&mut env, 3);
    let done = env.peer.boto(
        "complete_multipart_upload",
        json!({"Bucket": BUCKET, "Key": key, "UploadId": id,
               "MultipartUpload": completed(&[(1, &e1), (2, &e2), (3, &e3)])}),
        None,
    );
    assert_eq!(done["status"], 200, "complete after restart: {done}");
    assert!(done["result"]["ETag"].as_str().unwrap().ends_with("-3\""), "{done}");
    let get = env.peer.boto("get_object", json!({"Bucket": BUCKET, "Key": key}), None);
    assert_eq!(get["result"]["body_len"].as_u64(), Some(data.len() as u64), "{get}");
    assert_eq!(get["result"]["body_sha256"].as_str(), Some(sha256_hex(&data).as_str()), "{get}");

    let tree = env.work.path().join("tree");
    common::write(&tree, key, &data);
    let want = env.kit.ok(&["hash", "--hidden", tree.to_str().unwrap()]).trim().to_owned();
    assert_eq!(env.root(), want, "the bucket's root vs ipfs-kit hash --hidden of the tree");
    assert_eq!(env.files(), BTreeSet::from([key.to_owned()]));
    check_clean(&env.kit);
    env.finish();
}

/// The server is killed (SIGKILL) while a 100 MiB PUT streams in: restarted on the same home,
/// the object does not exist, `check --read-data` exits 0, and `gc` removes whatever
/// temporary pack the crash left (counted as orphan files).
#[test]
fn a_server_killed_mid_body_leaves_only_what_gc_removes() {
    let Some(mut env) = Env::new() else { return };
    env.assert_serves("seed.txt", b"seed\n");
    let files_before = env.files();
    let root_before = env.root();
    let mut client = env.slow_put("crash.bin", 100 * MIB as u64, 100 * MIB, 256 * 1024, 0.01, "close");
    read_until(&mut client, Duration::from_secs(120), |l| sent(l) >= 20 * MIB);
    let pid = env.server.pid().to_string();
    assert!(Command::new("kill").args(["-9", &pid]).status().unwrap().success(), "kill -9 {pid}");
    let status = env.server.stop();
    assert!(!status.success(), "the server died of SIGKILL: {status}");
    let _ = client.kill();
    client.wait().unwrap();
    let left = tmp_packs(env.kit.path());
    check_clean(&env.kit);
    env.restart();
    env.assert_absent("crash.bin");
    assert_eq!(env.files(), files_before);
    assert_eq!(env.root(), root_before);
    let gc = env.kit.json(&["gc"]);
    assert!(gc["orphan_files"].as_u64().unwrap() >= left.len() as u64, "gc with {left:?} left by the crash: {gc}");
    assert!(tmp_packs(env.kit.path()).is_empty(), "gc removed the crash's temporary packs");
    env.assert_serves("seed.txt", b"seed\n");
    env.finish();
}

// ---------------------------------------------------------------------------------------------
// 6. Digests
// ---------------------------------------------------------------------------------------------

/// Every digest a client claims is checked before anything is stored, for a small body (read
/// whole) and a 2 MiB one (streamed into a pack): a wrong Content-MD5 is `BadDigest`, one that
/// is not base64 of 16 bytes is `InvalidDigest`, a wrong `x-amz-checksum-crc32` is `BadDigest`,
/// a SigV4 `x-amz-content-sha256` that does not match is `XAmzContentSHA256Mismatch`, and a
/// part with a wrong Content-MD5 is not kept; the same bodies with right digests are stored.
#[test]
fn digests_that_do_not_match_store_nothing() {
    let Some(mut env) = Env::new() else { return };
    let files_before = env.files();
    let other = sha256_hex(b"some other body");
    let mut want = files_before.clone();
    for (size, name) in [(2000, "small"), (2 * MIB, "large")] {
        let data = Rng::new(size as u64).bytes(size);
        let (path, body) = env.body_file(&format!("{name}.bin"), &data);
        let wrong_md5 = "XUFAKrxLKna5cZ2REBfFkg==";
        let cases = [
            (json!({"headers": {"Content-MD5": wrong_md5}}), "BadDigest"),
            (json!({"headers": {"Content-MD5": "not base64!"}}), "InvalidDigest"),
            (json!({"headers": {"Content-MD5": "AAAA"}}), "InvalidDigest"),
            (json!({"headers": {"x-amz-checksum-crc32": "AAAAAA=="}}), "BadDigest"),
            (json!({"headers": {"Content-MD5": "$md5", "x-amz-checksum-crc32": "AAAAAA=="}}), "BadDigest"),
            (json!({"payload_hash": other}), "XAmzContentSHA256Mismatch"),
        ];
        let key = format!("digest-{name}.bin");
        for (mut extra, code) in cases {
            extra["body"] = body.clone();
            let what = format!("{name} PUT with {extra}");
            let put = env.peer.raw("PUT", &format!("/hostile/{key}"), extra);
            assert_error(&put, 400, code, &what);
            env.assert_absent(&key);
        }
        wait_no_tmp_packs(env.kit.path(), Duration::from_secs(20));
        // The right digests are accepted: the refusals above were about the digests.
        let extra = json!({"body": {"file": path.to_str().unwrap()},
                           "headers": {"Content-MD5": "$md5", "x-amz-checksum-crc32": "$crc32"}});
        let put = env.peer.raw("PUT", &format!("/hostile/{key}"), extra);
        assert_eq!(put["status"], 200, "{name} PUT with right digests: {put}");
        let get = env.peer.boto("get_object", json!({"Bucket": BUCKET, "Key": key}), None);
        assert_eq!(get["result"]["body_sha256"].as_str(), Some(sha256_hex(&data).as_str()));
        want.insert(key);
    }
    // A part with a wrong Content-MD5 is refused and not kept.
    let create = env.peer.boto("create_multipart_upload", json!({"Bucket": BUCKET, "Key": "digest-mp.bin"}), None);
    let id = create["result"]["UploadId"].as_str().unwrap().to_owned();
    let (_, body) = env.body_file("part.bin", &Rng::new(9).bytes(2 * MIB));
    let part = env.peer.raw(
        "PUT",
        "/hostile/digest-mp.bin",
        json!({"query": format!("partNumber=1&uploadId={id}"), "body": body,
               "headers": {"Content-MD5": "XUFAKrxLKna5cZ2REBfFkg=="}}),
    );
    assert_error(&part, 400, "BadDigest", "UploadPart with a wrong Content-MD5");
    let list = env.peer.boto("list_parts", json!({"Bucket": BUCKET, "Key": "digest-mp.bin", "UploadId": id}), None);
    assert!(list["result"].get("Parts").is_none_or(|p| p.as_array().unwrap().is_empty()), "no part kept: {list}");
    assert_eq!(env.files(), want, "only the PUTs with right digests stored objects");
    env.finish();
}

// ---------------------------------------------------------------------------------------------
// 7. Authentication
// ---------------------------------------------------------------------------------------------

/// Unsigned requests are 403 `AccessDenied`, an unknown access key id 403
/// `InvalidAccessKeyId`, a wrong secret 403 `SignatureDoesNotMatch`, and a SigV4 presigned URL
/// valid for 604801 s (one more than 7 days) 400 `AuthorizationQueryParametersError`, while one
/// for exactly 604800 s works; none of the refused writes stores anything.
#[test]
fn unsigned_unknown_and_overlong_credentials_are_refused() {
    let Some(mut env) = Env::new() else { return };
    env.assert_serves("seed.txt", b"seed\n");
    let files_before = env.files();
    let root_before = env.root();
    let body = json!({"text": "intruder"});

    let put = env.peer.raw("PUT", "/hostile/unsigned.txt", json!({"sign": "none", "body": body}));
    assert_error(&put, 403, "AccessDenied", "unsigned PUT");
    let get = env.peer.raw("GET", "/hostile/seed.txt", json!({"sign": "none"}));
    assert_error(&get, 403, "AccessDenied", "unsigned GET");
    let list = env.peer.raw("GET", "/hostile", json!({"sign": "none", "query": "list-type=2"}));
    assert_error(&list, 403, "AccessDenied", "unsigned listing");

    let stranger = json!({"access": "IKAAAAAAAAAAAAAAAAAA", "secret": "x".repeat(40)});
    let mut extra = stranger.clone();
    extra["body"] = body.clone();
    let put = env.peer.raw("PUT", "/hostile/stranger.txt", extra);
    assert_error(&put, 403, "InvalidAccessKeyId", "PUT with an unknown key id");
    let get = env.peer.raw("GET", "/hostile/seed.txt", stranger);
    assert_error(&get, 403, "InvalidAccessKeyId", "GET with an unknown key id");

    let wrong_secret = json!({"access": env.id, "secret": "y".repeat(40), "body": body});
    let put = env.peer.raw("PUT", "/hostile/wrong-secret.txt", wrong_secret);
    assert_error(&put, 403, "SignatureDoesNotMatch", "PUT with a wrong secret");

    let presign = |env: &mut Env, call: &str, key: &str, expires: u64, method: &str| {
        env.peer.call(json!({"op": "presign", "call": call, "args": {"Bucket": BUCKET, "Key": key},
                             "expires": expires, "method": method}))
    };
    let over = presign(&mut env, "get_object", "seed.txt", 604_801, "GET");
    assert!(over["url"].as_str().unwrap().contains("X-Amz-Expires=604801"), "{over}");
    assert_error(&over, 400, "AuthorizationQueryParametersError", "presigned GET for 604801 s");
    let put = presign(&mut env, "put_object", "presigned.txt", 604_801, "PUT");
    assert_error(&put, 400, "AuthorizationQueryParametersError", "presigned PUT for 604801 s");
    let week = presign(&mut env, "get_object", "seed.txt", 604_800, "GET");
    assert_eq!(week["status"], 200, "presigned GET for exactly 7 days: {week}");
    assert_eq!(week["body"], "seed\n");

    assert_eq!(env.files(), files_before, "refused requests wrote nothing");
    assert_eq!(env.root(), root_before);
    env.finish();
}

/// The 7-day cap on presigned V4 URLs holds however the query spells `X-Amz-Expires`: a name
/// with a needless percent-escape (`X-Amz-Expire%73`, `%58-Amz-Expires`) decodes to the same
/// parameter for the signature check, so it must be refused the same way.
#[test]
fn an_escaped_x_amz_expires_does_not_bypass_the_7_day_cap() {
    let Some(mut env) = Env::new() else { return };
    env.assert_serves("seed.txt", b"seed\n");
    for spelling in ["X-Amz-Expire%73=", "%58-Amz-Expires=", "X-Amz-%45xpires="] {
        let answer = env.peer.call(json!({
            "op": "presign", "call": "get_object", "args": {"Bucket": BUCKET, "Key": "seed.txt"},
            "expires": 315_360_000u64, "method": "GET", "rewrite": [["X-Amz-Expires=", spelling]],
        }));
        assert!(answer["url"].as_str().unwrap().contains(spelling), "{answer}");
        assert_error(&answer, 400, "AuthorizationQueryParametersError", &format!("presigned GET with {spelling}"));
    }
    env.finish();
}
