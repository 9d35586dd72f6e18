//! `push`: a bucket's DAG (or the global snapshot's) to a remote.
//!
//! - **kubo**: the CAR is streamed to the node's `dag/import` (roots pinned) and confirmed with
//!   `pin/ls`; only then is the push recorded.
//! - **pinning**: the blocks go to the pinning remote's `--kubo` node first (as above), then
//!   the service is asked to pin the root, with the node's addresses as origins, and the
//!   request is followed until pinned, failed or the timeout; each state seen is recorded.
//! - **storacha**: the CAR shards are stored in the space (`storacha_push`).
//!
//! Nothing is recorded before the remote confirmed it (see `ipfs_kit_remotes::state`), so an
//! interrupted push leaves nothing marked pushed, and running it again completes it (blocks
//! the node has already are simply sent again; `dag/import` is idempotent).

use std::io::Write;
use std::time::Duration;

use cid::Cid;
use ipfs_kit_buckets::Buckets;
use ipfs_kit_buckets::car::{CarSubject, ExportOptions};
use ipfs_kit_remotes::http::Timeouts;
use ipfs_kit_remotes::kubo::Kubo;
use ipfs_kit_remotes::pinning::{PinStatus, Pinning};
use ipfs_kit_remotes::remote::{Confirmation, Remote as _};
use ipfs_kit_remotes::retry::RetryPolicy;
use ipfs_kit_remotes::state::{PushRecord, StateLog};
use ipfs_kit_remotes::storacha::Endpoint;
use ipfs_kit_remotes::{RemoteSpec, Remotes};

use crate::storacha_push::{self, StorachaPushed};
use crate::{Observer, TransferError};

/// What to push where, and how hard to try.
#[derive(Debug, Clone)]
pub struct PushRequest<'a> {
    /// The bucket; `None` pushes the global snapshot (every bucket in one DAG).
    pub bucket: Option<&'a str>,
    /// The remote's name (`ipfs-kit remote list`).
    pub remote: &'a str,
    /// Push the version this snapshot recorded (the global one: the latest, by default).
    pub snapshot: Option<&'a str>,
    /// Send only the blocks this snapshot does not have; the remote must hold them already.
    pub since: Option<&'a str>,
    /// Hash every block against its CID before sending it.
    pub verify: bool,
    /// Tries in all for a transient fault.
    pub retries: u32,
    /// How long to wait for each answer.
    pub timeout: Duration,
    /// Pinning remotes: the pin's name (default: the bucket's, or "ipfs-kit-all").
    pub pin_name: Option<&'a str>,
    /// Pinning remotes: how long to follow the request towards pinned or failed.
    pub pin_timeout: Duration,
    /// Storacha remotes: the largest CAR shard.
    pub shard_size: Option<u64>,
}

/// What a push to a Kubo node sent and saw.
#[derive(Debug, Clone)]
pub struct Sent {
    pub blocks: usize,
    pub block_bytes: u64,
    pub car_bytes: u64,
    pub attempts: u32,
    pub confirmation: Confirmation,
}

/// What a push did: the version pushed, where, and the remote's last word on it.
#[derive(Debug, Clone)]
pub struct Pushed {
    pub bucket: Option<String>,
    /// The snapshot pushed: always set for the global snapshot, for a bucket only when asked.
    pub snapshot: Option<String>,
    pub root: Cid,
    pub remote: String,
    /// `kubo`, `pinning` or `storacha`.
    pub kind: &'static str,
    pub confirmation: Confirmation,
    /// Kubo and pinning remotes: what went to the node.
    pub sent: Option<Sent>,
    /// Storacha remotes: the shards, index and pieces.
    pub storacha: Option<StorachaPushed>,
}

/// The version being pushed, as the records name it.
struct Version {
    bucket: Option<String>,
    snapshot: Option<String>,
    root: Cid,
}

/// Pushes as `req` asks (see the module notes); `observer` hears of progress and retries.
pub fn push(buckets: &Buckets, req: &PushRequest<'_>, observer: &mut dyn Observer) -> Result<Pushed, TransferError> {
    if buckets.is_read_only() {
        return Err(TransferError::Refused(format!(
            "{}: the home is read-only; a push records where it went, so it needs a writable home",
            buckets.home().root().display()
        )));
    }
    let remotes = Remotes::load(buckets.home().root())?;
    let spec = remotes.get(req.remote)?.clone();
    let retry = RetryPolicy::with_attempts(req.retries);
    let timeouts = Timeouts { connect: Duration::from_secs(10), answer: req.timeout.max(Duration::from_secs(1)) };
    let subject = req.bucket.map_or(CarSubject::All, CarSubject::Bucket);
    let (root, label) = buckets.car_root(subject, req.snapshot)?;
    let snapshot = match (subject, req.snapshot) {
        (CarSubject::All, _) => Some(label),
        (CarSubject::Bucket(_), Some(spec)) => Some(buckets.find_snapshot(spec)?.snapshot_id),
        (CarSubject::Bucket(_), None) => None,
    };
    let version = Version { bucket: req.bucket.map(str::to_owned), snapshot, root };
    let log = StateLog::new(buckets.home().root());
    let pushed = |kind, confirmation, sent, storacha| Pushed {
        bucket: version.bucket.clone(),
        snapshot: version.snapshot.clone(),
        root,
        remote: req.remote.to_owned(),
        kind,
        confirmation,
        sent,
        storacha,
    };
    match spec {
        RemoteSpec::Kubo { api, headers } => {
            let kubo = Kubo::new(req.remote, &api, headers, retry, timeouts);
            let sent = push_kubo(buckets, req, &kubo, subject, observer)?;
            record(&log, &version, req.remote, "kubo", &sent.confirmation, None)?;
            Ok(pushed("kubo", sent.confirmation.clone(), Some(sent), None))
        }
        RemoteSpec::Pinning { endpoint, token, kubo } => {
            let kubo_name = kubo.ok_or_else(|| {
                TransferError::Refused(format!(
                    "pinning remote {:?} has no kubo remote to hold the blocks; add it again with --kubo REMOTE",
                    req.remote
                ))
            })?;
            let RemoteSpec::Kubo { api, headers } = remotes.get(&kubo_name)?.clone() else {
                return Err(TransferError::Refused(format!(
                    "remote {kubo_name:?} (the --kubo of {:?}) is not a kubo remote",
                    req.remote
                )));
            };
            let kubo = Kubo::new(&kubo_name, &api, headers, retry, timeouts);
            let sent = push_kubo(buckets, req, &kubo, subject, observer)?;
            record(&log, &version, &kubo_name, "kubo", &sent.confirmation, None)?;
            let (_, origins) = kubo.id()?;
            let service = Pinning::new(req.remote, &endpoint, &token, retry, timeouts);
            let name = req.pin_name.or(req.bucket).unwrap_or("ipfs-kit-all");
            let first = service.add(&root, name, &origins)?;
            record(&log, &version, req.remote, "pinning", &first.confirmation("POST /pins"), None)?;
            let mut record_err = None;
            let last = service.follow(first, req.pin_timeout, Duration::from_millis(500), |s| {
                if let Err(e) =
                    record(&log, &version, req.remote, "pinning", &s.confirmation("GET /pins/{requestid}"), None)
                {
                    record_err.get_or_insert(e);
                }
            })?;
            if let Some(e) = record_err {
                return Err(e);
            }
            pin_verdict(req, &last)?;
            Ok(pushed("pinning", last.confirmation("GET /pins/{requestid}"), Some(sent), None))
        }
        RemoteSpec::Gateway { .. } => Err(TransferError::Refused(format!(
            "remote {:?} is a gateway: gateways are read only (push to a kubo, pinning or storacha remote)",
            req.remote
        ))),
        RemoteSpec::Storacha { service_url, service_did, receipts_url, key, proof, .. } => {
            let endpoint =
                Endpoint { service_url: &service_url, service_did: &service_did, receipts_url: &receipts_url };
            let target =
                storacha_push::Target { endpoint, key: &key, proof: &proof, attempts: req.retries, verify: req.verify };
            let options = ExportOptions {
                snapshot: req.snapshot,
                since: req.since,
                shard_size: req.shard_size,
                storacha: true,
                ..ExportOptions::default()
            };
            let plan = buckets.car_plan(subject, &options)?;
            observer.started("pushing", Some(2 * plan.total_bytes()));
            let stored = storacha_push::push(&plan, buckets.store(), &target);
            observer.finished();
            let stored = stored?;
            let confirmation = Confirmation {
                status: "uploaded".into(),
                seen: format!("upload/add: {} shards", stored.upload.shards.len()),
                request_id: None,
            };
            record(&log, &version, req.remote, "storacha", &confirmation, Some(&stored))?;
            Ok(pushed("storacha", confirmation, None, Some(stored)))
        }
    }
}

fn push_kubo(
    buckets: &Buckets,
    req: &PushRequest<'_>,
    kubo: &Kubo,
    subject: CarSubject<'_>,
    observer: &mut dyn Observer,
) -> Result<Sent, TransferError> {
    let options =
        ExportOptions { snapshot: req.snapshot, since: req.since, verify: req.verify, ..ExportOptions::default() };
    let plan = buckets.car_plan(subject, &options)?;
    let store = buckets.store();
    let produce =
        |out: &mut dyn Write| plan.write_shard(store, 0, req.verify, false, out).map(|_| ()).map_err(|e| e.to_string());
    observer.started("pushing", Some(plan.block_bytes));
    let car_len = (plan.shards.len() == 1).then(|| plan.total_bytes());
    let imported = kubo.import_car(&plan.root, car_len, &produce, |attempt, fault, wait| {
        observer.retrying(kubo.name(), &fault.to_string(), wait, attempt + 1, req.retries)
    });
    observer.finished();
    let imported = imported?;
    Ok(Sent {
        blocks: plan.blocks.len(),
        block_bytes: plan.block_bytes,
        car_bytes: plan.total_bytes(),
        attempts: imported.attempts,
        confirmation: imported.confirmation,
    })
}

fn record(
    log: &StateLog,
    v: &Version,
    remote: &str,
    kind: &str,
    confirmation: &Confirmation,
    storacha: Option<&StorachaPushed>,
) -> Result<(), TransferError> {
    log.append(&PushRecord {
        time: ipfs_kit_blockstore::time::now_rfc3339(),
        bucket: v.bucket.clone(),
        snapshot: v.snapshot.clone(),
        root: v.root.to_string(),
        remote: remote.to_owned(),
        kind: kind.to_owned(),
        confirmation: confirmation.clone(),
        storacha: storacha.map(|s| s.upload.clone()),
    })
    .map_err(TransferError::Record)
}

/// A final `failed`, or a request still open at the timeout, is an error (its state is
/// recorded as the service gave it).
fn pin_verdict(req: &PushRequest<'_>, last: &PinStatus) -> Result<(), TransferError> {
    match last.status.as_str() {
        "pinned" => Ok(()),
        "failed" => Err(TransferError::NotPinned(format!(
            "pin on {}: the service reports request {} as failed",
            req.remote, last.request_id
        ))),
        other => Err(TransferError::NotPinned(format!(
            "pin on {}: request {} is still {other} after {}s (recorded as {other}; `ipfs-kit bucket status --refresh` asks again)",
            req.remote,
            last.request_id,
            req.pin_timeout.as_secs()
        ))),
    }
}
