//! A local Storacha upload service for the tests: `tests/interop/storacha/storacha-local.mjs`
//! (the `@storacha/upload-api` test context), on 127.0.0.1, stopped by PID when dropped.
//!
//! One service per test: an internal delegation of the test context expires 30 s after it
//! starts, so a shared service would fail tests that run later.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

pub fn storacha_dir() -> PathBuf {
    super::interop_dir().join("storacha")
}

/// True if the service, the JS client and the CLI are installed; panics if required but missing.
pub fn available() -> bool {
    let dir = storacha_dir().join("node_modules");
    let ok =
        dir.join("@storacha/upload-api/package.json").is_file() && dir.join("@storacha/cli/package.json").is_file();
    if !ok {
        if std::env::var("IPFS_KIT_INTEROP").as_deref() == Ok("require") {
            panic!("the local Storacha service is missing: run tests/interop/setup.sh");
        }
        eprintln!("SKIPPED: the local Storacha service is not installed (run tests/interop/setup.sh)");
    }
    ok
}

/// A running service and what `storacha-service.json` says about it.
pub struct Service {
    pub dir: tempfile::TempDir,
    pub info: Value,
    child: Child,
}

impl Service {
    pub fn start() -> Service {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("service.json");
        let mut child = Command::new("node")
            .current_dir(storacha_dir())
            .arg("storacha-local.mjs")
            .args(["--port", "0", "--exit-with-stdin", "--out"])
            .arg(&out)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start storacha-local.mjs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(line.starts_with("storacha-local ready "), "storacha-local.mjs said {line:?}");
        let info: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        Service { dir, info, child }
    }

    pub fn get(&self, key: &str) -> &str {
        self.info[key].as_str().unwrap_or_else(|| panic!("service.json has no {key}"))
    }

    /// `ipfs-kit remote add NAME storacha …` arguments for this service, with `proof`.
    pub fn remote_add_args(&self, name: &str, proof: &str) -> Vec<String> {
        let mut args: Vec<String> =
            ["remote", "add", name, "storacha", "--key", self.get("agentKey"), "--proof", proof]
                .iter()
                .map(|s| s.to_string())
                .collect();
        for (flag, key) in [("--service-url", "url"), ("--service-did", "serviceDid"), ("--receipts-url", "receipts")] {
            args.push(flag.into());
            args.push(self.get(key).into());
        }
        args
    }

    /// Runs the official `storacha` CLI against this service, as this service's agent, with
    /// its own store in the service's temp folder.
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(storacha_dir().join("node_modules/.bin/storacha"))
            .args(args)
            .env("STORACHA_SERVICE_URL", self.get("url"))
            .env("STORACHA_SERVICE_DID", self.get("serviceDid"))
            .env("STORACHA_RECEIPTS_URL", self.get("receipts"))
            .env("STORACHA_PRINCIPAL", self.get("agentKey"))
            .env("STORACHA_STORE_NAME", "ipfs-kit-test")
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("HOME", self.dir.path())
            .stdin(Stdio::null())
            .output()
            .expect("run the storacha CLI")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
