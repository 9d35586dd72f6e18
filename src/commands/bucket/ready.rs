//! The earlier design's `car_ready`, `ipfs_ready` and `storacha_ready` for a bucket version,
//! each true only when verified:
//! - `car_ready`: every block of the version is in this home's store now (the DAG is walked,
//!   not assumed), so `export-car` can write it;
//! - `ipfs_ready`: a kubo remote confirmed the root pinned recursively (`pin/ls`), or a
//!   pinning service reported it `pinned`;
//! - `storacha_ready`: a Storacha space accepted `upload/add` for the root and its shards.
//!
//! Snapshot records are hashed (their `manifest_hash`), so these facts are not written into
//! them: they are derived when shown, from the store and `remote_state.jsonl`. A record's own
//! `car_ready` says what held when the snapshot was taken.

use anyhow::Result;
use cid::Cid;
use ipfs_kit_buckets::Buckets;
use ipfs_kit_remotes::state::PushRecord;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    pub car_ready: bool,
    pub ipfs_ready: bool,
    pub storacha_ready: bool,
}

impl Readiness {
    /// The readiness of the version whose root is `root`, given the newest record of each
    /// remote for that root.
    pub fn of<'a>(buckets: &Buckets, root: &str, records: impl IntoIterator<Item = &'a PushRecord>) -> Result<Self> {
        let car_ready = match root.parse::<Cid>() {
            Ok(cid) => buckets.holds_dag(&cid)?,
            Err(_) => false,
        };
        let mut ready = Readiness { car_ready, ipfs_ready: false, storacha_ready: false };
        for r in records {
            match (r.kind.as_str(), r.confirmation.status.as_str()) {
                ("kubo" | "pinning", "pinned") => ready.ipfs_ready = true,
                ("storacha", "uploaded") => ready.storacha_ready = true,
                _ => {}
            }
        }
        Ok(ready)
    }

    /// Sets the three fields on a JSON object.
    pub fn write_into(self, value: &mut Value) {
        value["car_ready"] = json!(self.car_ready);
        value["ipfs_ready"] = json!(self.ipfs_ready);
        value["storacha_ready"] = json!(self.storacha_ready);
    }
}
