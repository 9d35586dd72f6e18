//! Where each bucket version is: `<home>/remote_state.jsonl`, one JSON record per line,
//! appended only after a remote confirmed what the record says.
//!
//! Write order: the remote confirms (kubo: `pin/ls` lists the root pinned recursively; a
//! pinning service: the status it reports for the request; Storacha: `upload/add` succeeded), then one record is appended in a
//! single `write` and fsynced (and the directory too, when the file was just made). A crash
//! before the fsync leaves no record, or a torn last line, which readers skip; so a push
//! killed at any point leaves nothing marked pushed that was not confirmed. Appending (rather
//! than rewriting a file) lets two pushes record at once without losing either. The newest
//! record for a (bucket, root, remote) is its state.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::RemoteError;
use crate::remote::Confirmation;

pub const FILE_NAME: &str = "remote_state.jsonl";

/// One confirmed fact: this version of a bucket is on that remote, in this state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRecord {
    pub time: String,
    /// The bucket, or `null` for the global snapshot (`--all`).
    pub bucket: Option<String>,
    /// The snapshot the version came from (`None`: the working state).
    #[serde(default)]
    pub snapshot: Option<String>,
    pub root: String,
    pub remote: String,
    pub kind: String,
    #[serde(flatten)]
    pub confirmation: Confirmation,
    /// Storacha remotes: where the version lies in the space.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storacha: Option<StorachaUpload>,
}

/// What a Storacha push stored, recorded only after `upload/add` succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorachaUpload {
    pub space: String,
    /// The CAR shards' CIDs (`bagbaiera…`), in order.
    pub shards: Vec<String>,
    /// Each shard's piece CID (commP), as offered to Filecoin.
    pub pieces: Vec<String>,
    /// The sharded-DAG index blob's CID.
    pub index: String,
}

pub struct StateLog {
    path: PathBuf,
}

impl StateLog {
    pub fn new(home: &Path) -> Self {
        StateLog { path: home.join(FILE_NAME) }
    }

    /// Appends `record` durably (see the module notes for the order).
    pub fn append(&self, record: &PushRecord) -> Result<(), RemoteError> {
        let err = RemoteError::io(self.path.display());
        let existed = self.path.exists();
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&self.path)
            .map_err(err)?;
        let mut line = Vec::new();
        // A torn last line (a crash mid-append) must not swallow this record.
        if file.metadata().map(|m| m.len()).unwrap_or(0) > 0 {
            let mut last = [0u8];
            file.seek(SeekFrom::End(-1))
                .and_then(|_| file.read_exact(&mut last))
                .map_err(RemoteError::io(self.path.display()))?;
            if last[0] != b'\n' {
                line.push(b'\n');
            }
        }
        serde_json::to_writer(&mut line, record).expect("record serialises");
        line.push(b'\n');
        file.write_all(&line).map_err(RemoteError::io(self.path.display()))?;
        file.sync_all().map_err(RemoteError::io(self.path.display()))?;
        if !existed {
            let dir = self.path.parent().expect("has a parent");
            ipfs_kit_blockstore::sync_dir(dir).map_err(|e| RemoteError::Invalid(format!("{}: {e}", dir.display())))?;
        }
        Ok(())
    }

    /// Every record, oldest first; lines that do not parse (a torn tail) are skipped.
    pub fn records(&self) -> Result<Vec<PushRecord>, RemoteError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(RemoteError::io(self.path.display())(e)),
        };
        Ok(text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect())
    }

    /// The newest record per (root, remote), keyed by root then remote.
    pub fn latest(&self) -> Result<BTreeMap<String, BTreeMap<String, PushRecord>>, RemoteError> {
        let mut out: BTreeMap<String, BTreeMap<String, PushRecord>> = BTreeMap::new();
        for r in self.records()? {
            out.entry(r.root.clone()).or_default().insert(r.remote.clone(), r);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(root: &str, status: &str) -> PushRecord {
        PushRecord {
            time: "t".into(),
            bucket: Some("b".into()),
            snapshot: None,
            root: root.into(),
            remote: "node".into(),
            kind: "kubo".into(),
            confirmation: Confirmation { status: status.into(), seen: "pin/ls: recursive".into(), request_id: None },
            storacha: None,
        }
    }

    #[test]
    fn a_torn_tail_is_skipped_and_does_not_swallow_the_next_record() {
        let dir = tempfile::tempdir().unwrap();
        let log = StateLog::new(dir.path());
        log.append(&record("r1", "queued")).unwrap();
        // A crash mid-append: half a line, no newline.
        std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join(FILE_NAME))
            .unwrap()
            .write_all(b"{\"time\":\"x")
            .unwrap();
        assert_eq!(log.records().unwrap().len(), 1);
        log.append(&record("r1", "pinned")).unwrap();
        let latest = log.latest().unwrap();
        assert_eq!(latest["r1"]["node"].confirmation.status, "pinned");
        assert_eq!(log.records().unwrap().len(), 2);
    }
}
