//! Remotes without a peer: the remotes file is private and secrets never printed; the retry
//! policy against a loopback server that answers 401, 400 or 500 (retried only for 500), and
//! against a port where nothing listens.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::kit::Kit;

fn bucket_kit() -> Kit {
    let kit = Kit::new();
    let data = tempfile::tempdir().unwrap();
    common::write(data.path(), "a.txt", b"hello remote");
    kit.ok(&["bucket", "create", "b"]);
    kit.ok(&["bucket", "add", "b", data.path().join("a.txt").to_str().unwrap()]);
    kit
}

#[test]
fn the_remotes_file_is_0600_and_no_command_prints_a_secret() {
    let kit = bucket_kit();
    kit.ok(&[
        "remote",
        "add",
        "node",
        "kubo",
        "--api",
        "http://127.0.0.1:9",
        "--header",
        "Authorization: Bearer hdr-SECRET-1",
    ]);
    kit.ok(&[
        "remote",
        "add",
        "pins",
        "pinning",
        "--endpoint",
        "http://127.0.0.1:9",
        "--token",
        "tok-SECRET-2",
        "--kubo",
        "node",
    ]);
    kit.ok(&["remote", "add", "gw", "gateway", "--url", "http://127.0.0.1:9"]);
    let mode = std::fs::metadata(kit.path().join("remotes.json")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "remotes.json holds tokens");
    let list = kit.ok(&["remote", "list"]);
    let json = kit.ok(&["remote", "list", "--json"]);
    for out in [&list, &json] {
        assert!(!out.contains("SECRET"), "a secret was printed: {out}");
        assert!(out.contains("node") && out.contains("pins") && out.contains("gw"), "{out}");
    }
    assert!(list.contains("Authorization: ********"), "{list}");
    // Failing commands do not print them either.
    let out = kit.run(&["remote", "check", "pins"]);
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("SECRET"));
    kit.fails(&["remote", "add", "node", "gateway", "--url", "http://127.0.0.1:9"], "exists already");
    kit.fails(&["remote", "rm", "node"], "--kubo remote of pins");
    kit.fails(&["bucket", "push", "b", "--to", "gw"], "read only");
    kit.fails(&["bucket", "push", "b", "--to", "nowhere"], "no remote named");
    kit.ok(&["remote", "rm", "pins"]);
    kit.ok(&["remote", "rm", "node"]);
    assert!(!kit.ok(&["remote", "list"]).contains("node"));
}

/// Answers every request with `status` after reading it whole; counts the requests.
fn canned_server(status: u16, body: &'static str) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            seen.fetch_add(1, Ordering::SeqCst);
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut chunked, mut length) = (false, 0usize);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                chunked |= lower.starts_with("transfer-encoding:") && lower.contains("chunked");
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            if chunked {
                loop {
                    let mut size = String::new();
                    reader.read_line(&mut size).unwrap();
                    let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
                    let mut chunk = vec![0; n + 2];
                    reader.read_exact(&mut chunk).unwrap();
                    if n == 0 {
                        break;
                    }
                }
            } else {
                let mut rest = vec![0; length];
                reader.read_exact(&mut rest).unwrap();
            }
            let reason = if status == 401 { "Unauthorized" } else { "Whatever" };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, count)
}

#[test]
fn permanent_faults_are_not_retried_and_transient_ones_are() {
    let kit = bucket_kit();
    let cases = [
        (
            401,
            r#"{"Message":"bad token","Code":0,"Type":"error"}"#,
            "credentials refused: HTTP 401: bad token (permanent; not retried)",
            1,
        ),
        (
            400,
            r#"{"Message":"invalid car","Code":0,"Type":"error"}"#,
            "request refused: HTTP 400: invalid car (permanent; not retried)",
            1,
        ),
        (
            500,
            r#"{"Message":"boom","Code":0,"Type":"error"}"#,
            "server error HTTP 500: boom (transient; gave up after 3 attempts)",
            3,
        ),
    ];
    for (i, (status, body, needle, requests)) in cases.into_iter().enumerate() {
        let (url, count) = canned_server(status, body);
        let name = format!("fake{i}");
        kit.ok(&["remote", "add", &name, "kubo", "--api", &url]);
        kit.fails(&["bucket", "push", "b", "--to", &name, "--retries", "3"], needle);
        assert_eq!(count.load(Ordering::SeqCst), requests, "HTTP {status}: requests made");
    }
    // Nothing listens: unreachable, retried, told as such.
    let port = common::peers::free_port();
    kit.ok(&["remote", "add", "down", "kubo", "--api", &format!("http://127.0.0.1:{port}")]);
    kit.fails(&["bucket", "push", "b", "--to", "down", "--retries", "2"], "unreachable");
    kit.fails(&["remote", "check", "down"], "unreachable");
    // Nothing was confirmed, so nothing is recorded.
    assert!(!kit.path().join("remote_state.jsonl").exists());
    let status = kit.json(&["bucket", "status", "b"]);
    assert_eq!(status["versions"][0]["local_only"], true, "{status}");
    let v = &status["versions"][0];
    assert_eq!((v["car_ready"].as_bool(), v["ipfs_ready"].as_bool()), (Some(true), Some(false)), "{status}");
}
