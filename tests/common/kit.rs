//! A home in a temp dir and the binary pointed at it.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

pub struct Kit {
    pub home: tempfile::TempDir,
}

impl Kit {
    pub fn new() -> Self {
        Kit { home: tempfile::tempdir().unwrap() }
    }

    pub fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["--home", self.home.path().to_str().unwrap()];
        all.extend_from_slice(args);
        super::ipfs_kit(&all)
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    pub fn root(&self, bucket: &str) -> String {
        self.json(&["bucket", "info", bucket])["root"].as_str().unwrap().to_owned()
    }

    pub fn fails(&self, args: &[&str], needle: &str) {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr:?}");
        assert!(stderr.contains(needle), "{args:?}: {stderr:?} should mention {needle:?}");
    }
}

impl Kit {
    pub fn path(&self) -> &Path {
        self.home.path()
    }

    /// The push records of this home (`remote_state.jsonl`), oldest first.
    pub fn push_records(&self) -> Vec<Value> {
        std::fs::read_to_string(self.path().join("remote_state.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}
