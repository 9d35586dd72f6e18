//! Real peers for the remote tests, started on 127.0.0.1 and stopped by PID: js-ipfs 0.66 (a
//! node with the Kubo RPC API) and mock-ipfs-pinning-service (the Pinning Service API's
//! reference server), both installed by `tests/interop/setup.sh` into `tests/interop/jsipfs`.
//!
//! Each peer runs with its stdin a pipe from the test process and `exit-with-parent.cjs`
//! loaded, so it also exits when the test binary does (a node shared through a `static` is
//! never dropped).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub fn jsipfs_dir() -> PathBuf {
    super::interop_dir().join("jsipfs")
}

/// True if js-ipfs and the pinning mock are installed; panics if required but missing.
pub fn available() -> bool {
    let dir = jsipfs_dir().join("node_modules");
    let ok = dir.join("ipfs/package.json").is_file() && dir.join("mock-ipfs-pinning-service/package.json").is_file();
    if !ok {
        if std::env::var("IPFS_KIT_INTEROP").as_deref() == Ok("require") {
            panic!("js-ipfs / mock-ipfs-pinning-service missing: run tests/interop/setup.sh");
        }
        eprintln!("SKIPPED: js-ipfs not installed (run tests/interop/setup.sh)");
    }
    ok
}

/// `--require` the polyfill, and for long-running peers (whose stdin is our pipe) the watch
/// that ends them with us; a one-shot command's stdin is closed, so it must not load that.
fn node_options(long_running: bool) -> String {
    let dir = jsipfs_dir();
    let mut opts = format!("--require {}", dir.join("polyfill.cjs").display());
    if long_running {
        opts.push_str(&format!(" --require {}", dir.join("exit-with-parent.cjs").display()));
    }
    opts
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A js-ipfs daemon, offline, on loopback, in a temp repo.
pub struct JsIpfs {
    pub dir: tempfile::TempDir,
    pub port: u16,
    child: Option<Child>,
}

impl JsIpfs {
    pub fn start() -> JsIpfs {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut node = JsIpfs { dir, port, child: None };
        let init =
            node.command(false).args(["init", "--profile", "test", "--empty-repo"]).output().expect("run jsipfs init");
        assert!(init.status.success(), "jsipfs init: {}", String::from_utf8_lossy(&init.stderr));
        let config_path = node.repo().join("config");
        let mut c: Value = serde_json::from_slice(&std::fs::read(&config_path).unwrap()).unwrap();
        c["Addresses"]["API"] = format!("/ip4/127.0.0.1/tcp/{port}").into();
        c["Addresses"]["Gateway"] = "/ip4/127.0.0.1/tcp/0".into();
        c["Addresses"]["RPC"] = "/ip4/127.0.0.1/tcp/0".into();
        c["Addresses"]["Swarm"] = serde_json::json!(["/ip4/127.0.0.1/tcp/0"]);
        c["Bootstrap"] = serde_json::json!([]);
        c["Discovery"]["MDNS"]["Enabled"] = false.into();
        c["Routing"]["Type"] = "none".into();
        c["Preload"] = serde_json::json!({"Enabled": false, "Addresses": []});
        std::fs::write(&config_path, serde_json::to_vec_pretty(&c).unwrap()).unwrap();
        node.run_daemon();
        node
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn command(&self, long_running: bool) -> Command {
        let mut cmd = Command::new(jsipfs_dir().join("node_modules/.bin/jsipfs"));
        cmd.env("IPFS_PATH", self.repo()).env("NODE_OPTIONS", node_options(long_running));
        cmd
    }

    fn run_daemon(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("daemon.log")).unwrap();
        let child = self
            .command(true)
            .args(["daemon", "--offline", "--enable-preload=false"])
            .stdin(Stdio::piped())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start jsipfs daemon");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            if self.post("/api/v0/version").is_ok() {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("jsipfs daemon exited ({status}): {}", self.log());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("jsipfs daemon not ready in 90 s: {}", self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }

    pub fn api(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// POSTs to the RPC API; the body, or the status and message of a failure.
    pub fn post(&self, path: &str) -> Result<Vec<u8>, String> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let mut resp = agent.post(format!("{}{path}", self.api())).send_empty().map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let body = resp.body_mut().with_config().limit(1 << 30).read_to_vec().map_err(|e| e.to_string())?;
        if status == 200 { Ok(body) } else { Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body))) }
    }

    pub fn json(&self, path: &str) -> Value {
        serde_json::from_slice(&self.post(path).unwrap()).unwrap()
    }

    /// How many blocks the node holds (`repo/stat`, whose numbers js-ipfs sends as strings).
    pub fn block_count(&self) -> u64 {
        let v = self.json("/api/v0/repo/stat");
        v["NumObjects"].as_str().map(|s| s.parse().unwrap()).or_else(|| v["NumObjects"].as_u64()).unwrap()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Kills the daemon (SIGKILL, by PID) and clears the repo lock it can no longer release.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(self.repo().join("repo.lock"));
        let _ = std::fs::remove_file(self.repo().join("repo.lock"));
        let _ = std::fs::remove_file(self.repo().join("api"));
    }

    /// Starts the daemon again on the same repo and port.
    pub fn restart(&mut self) {
        self.kill();
        self.run_daemon();
    }
}

impl Drop for JsIpfs {
    fn drop(&mut self) {
        self.kill();
    }
}

/// mock-ipfs-pinning-service on a free loopback port, with a token.
pub struct PinService {
    pub url: String,
    child: Child,
}

impl PinService {
    pub fn start(token: &str) -> PinService {
        let mut child = Command::new("node")
            .current_dir(jsipfs_dir())
            .env("NODE_OPTIONS", node_options(true))
            .args(["pinsvc-serve.cjs", "0", token])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the pinning mock");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("pinsvc listening on ")
            .unwrap_or_else(|| panic!("pinning mock said {line:?}"))
            .to_owned();
        PinService { url, child }
    }
}

impl Drop for PinService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
