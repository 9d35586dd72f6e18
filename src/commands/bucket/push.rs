//! `bucket push NAME --to REMOTE`: stream the bucket's CAR to a kubo remote's `dag/import`
//! (roots pinned), confirm with `pin/ls`, and only then record it; for a pinning remote, push
//! to its kubo remote first, then ask the service to pin and follow the request; for a
//! Storacha remote, store the CAR shards in the space (`push_storacha`).
//!
//! Nothing is recorded before the remote confirmed it (see `ipfs_kit_remotes::state`), so an
//! interrupted push leaves nothing marked pushed, and running it again completes it (blocks
//! the node has already are simply sent again; `dag/import` is idempotent).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use cid::Cid;
use ipfs_kit_buckets::Buckets;
use ipfs_kit_buckets::car::{CarSubject, ExportOptions};
use ipfs_kit_remotes::http::Timeouts;
use ipfs_kit_remotes::kubo::Kubo;
use ipfs_kit_remotes::pinning::{PinStatus, Pinning};
use ipfs_kit_remotes::remote::Confirmation;
use ipfs_kit_remotes::retry::RetryPolicy;
use ipfs_kit_remotes::state::{PushRecord, StateLog};
use ipfs_kit_remotes::storacha::Endpoint;
use ipfs_kit_remotes::{Remote, RemoteSpec, Remotes};
use serde_json::json;

use super::push_storacha;
use crate::cli::PushArgs;
use crate::commands::Context;

/// The version being pushed, as the records name it.
struct Version {
    bucket: Option<String>,
    snapshot: Option<String>,
    root: Cid,
}

pub fn run(ctx: &Context, args: &PushArgs) -> Result<()> {
    let buckets = ctx.open_existing("ipfs-kit bucket push")?;
    if buckets.is_read_only() {
        bail!(
            "{}: the home is read-only; a push records where it went, so it needs a writable home",
            buckets.home().root().display()
        );
    }
    let remotes = Remotes::load(buckets.home().root())?;
    let spec = remotes.get(&args.to)?.clone();
    let retry = RetryPolicy::with_attempts(args.retries);
    let timeouts = Timeouts { connect: Duration::from_secs(10), answer: Duration::from_secs(args.timeout.max(1)) };
    let subject = args.name.as_deref().map_or(CarSubject::All, CarSubject::Bucket);
    let (root, label) = buckets.car_root(subject, args.snapshot.as_deref())?;
    let snapshot = match (subject, args.snapshot.as_deref()) {
        (CarSubject::All, _) => Some(label),
        (CarSubject::Bucket(_), Some(spec)) => Some(buckets.find_snapshot(spec)?.snapshot_id),
        (CarSubject::Bucket(_), None) => None,
    };
    let version = Version { bucket: args.name.clone(), snapshot, root };
    let log = StateLog::new(buckets.home().root());
    let started = Instant::now();
    match spec {
        RemoteSpec::Kubo { api, headers } => {
            let kubo = Kubo::new(&args.to, &api, headers, retry, timeouts);
            let sent = push_kubo(ctx, &buckets, args, &kubo, subject)?;
            record(&log, &version, &args.to, "kubo", &sent.confirmation)?;
            report(args, &version, &args.to, "kubo", Some(&sent), &sent.confirmation, started)
        }
        RemoteSpec::Pinning { endpoint, token, kubo } => {
            let kubo_name = kubo.ok_or_else(|| {
                anyhow!(
                    "pinning remote {:?} has no kubo remote to hold the blocks; add it again with --kubo REMOTE",
                    args.to
                )
            })?;
            let RemoteSpec::Kubo { api, headers } = remotes.get(&kubo_name)?.clone() else {
                bail!("remote {kubo_name:?} (the --kubo of {:?}) is not a kubo remote", args.to);
            };
            let kubo = Kubo::new(&kubo_name, &api, headers, retry, timeouts);
            let sent = push_kubo(ctx, &buckets, args, &kubo, subject)?;
            record(&log, &version, &kubo_name, "kubo", &sent.confirmation)?;
            let (_, origins) = kubo.id()?;
            let service = Pinning::new(&args.to, &endpoint, &token, retry, timeouts);
            let name = args.pin_name.clone().or_else(|| args.name.clone()).unwrap_or_else(|| "ipfs-kit-all".into());
            let first = service.add(&root, &name, &origins)?;
            record(&log, &version, &args.to, "pinning", &first.confirmation("POST /pins"))?;
            let mut record_err = None;
            let last =
                service.follow(first, Duration::from_secs(args.pin_timeout), Duration::from_millis(500), |s| {
                    if let Err(e) =
                        record(&log, &version, &args.to, "pinning", &s.confirmation("GET /pins/{requestid}"))
                    {
                        record_err.get_or_insert(e);
                    }
                })?;
            if let Some(e) = record_err {
                return Err(e);
            }
            pin_verdict(args, &last)?;
            let confirmation = last.confirmation("GET /pins/{requestid}");
            report(args, &version, &args.to, "pinning", Some(&sent), &confirmation, started)
        }
        RemoteSpec::Gateway { .. } => {
            bail!(
                "remote {:?} is a gateway: gateways are read only (push to a kubo, pinning or storacha remote)",
                args.to
            )
        }
        RemoteSpec::Storacha { service_url, service_did, receipts_url, key, proof, .. } => {
            let endpoint =
                Endpoint { service_url: &service_url, service_did: &service_did, receipts_url: &receipts_url };
            let target = push_storacha::Target {
                endpoint,
                key: &key,
                proof: &proof,
                attempts: args.retries,
                verify: args.verify,
            };
            let options = ExportOptions {
                snapshot: args.snapshot.as_deref(),
                since: args.since.as_deref(),
                shard_size: args.shard_size,
                storacha: true,
                ..ExportOptions::default()
            };
            let plan = buckets.car_plan(subject, &options)?;
            let ticker = ctx.ticker("pushing", Some(2 * plan.total_bytes()), buckets.store().meter());
            let pushed = push_storacha::push(&plan, buckets.store(), &target);
            drop(ticker);
            let pushed = pushed?;
            let confirmation = Confirmation {
                status: "uploaded".into(),
                seen: format!("upload/add: {} shards", pushed.upload.shards.len()),
                request_id: None,
            };
            log.append(&PushRecord {
                time: ipfs_kit_blockstore::time::now_rfc3339(),
                bucket: version.bucket.clone(),
                snapshot: version.snapshot.clone(),
                root: version.root.to_string(),
                remote: args.to.clone(),
                kind: "storacha".into(),
                confirmation: confirmation.clone(),
                storacha: Some(pushed.upload.clone()),
            })?;
            report_storacha(args, &version, &pushed, &confirmation, started)
        }
    }
}

/// What a Storacha push prints: the upload's root, shards, index and pieces.
fn report_storacha(
    args: &PushArgs,
    v: &Version,
    p: &push_storacha::Pushed,
    c: &Confirmation,
    started: Instant,
) -> Result<()> {
    let secs = started.elapsed().as_secs_f64();
    let u = &p.upload;
    if args.json {
        let out = json!({
            "bucket": v.bucket, "snapshot": v.snapshot, "root": v.root.to_string(), "remote": args.to,
            "kind": "storacha", "status": c.status, "seen": c.seen, "since": args.since, "seconds": secs,
            "space": u.space, "shards": u.shards, "pieces": u.pieces, "index": u.index,
            "shards_sent": p.shards_sent, "bytes_sent": p.bytes_sent, "car_bytes": p.car_bytes,
        });
        println!("{out}");
        return Ok(());
    }
    let what = v.bucket.as_deref().unwrap_or("the global snapshot");
    println!(
        "pushed {what} {} to {} (storacha space {}): {} shards ({} sent, {} bytes; the rest were there), index {} in {secs:.1}s",
        v.root,
        args.to,
        u.space,
        u.shards.len(),
        p.shards_sent,
        p.bytes_sent,
        u.index
    );
    Ok(())
}

/// What a push to a kubo remote sent and saw.
struct Sent {
    blocks: usize,
    block_bytes: u64,
    car_bytes: u64,
    attempts: u32,
    confirmation: Confirmation,
}

fn push_kubo(ctx: &Context, buckets: &Buckets, args: &PushArgs, kubo: &Kubo, subject: CarSubject<'_>) -> Result<Sent> {
    let options = ExportOptions {
        snapshot: args.snapshot.as_deref(),
        since: args.since.as_deref(),
        verify: args.verify,
        ..ExportOptions::default()
    };
    let plan = buckets.car_plan(subject, &options)?;
    let store = buckets.store();
    let produce = |out: &mut dyn Write| {
        plan.write_shard(store, 0, args.verify, false, out).map(|_| ()).map_err(|e| e.to_string())
    };
    let chatty = !ctx.quiet && std::io::stderr().is_terminal();
    let ticker = ctx.ticker("pushing", Some(plan.block_bytes), store.meter());
    let car_len = (plan.shards.len() == 1).then(|| plan.total_bytes());
    let imported = kubo.import_car(&plan.root, car_len, &produce, |attempt, fault, wait| {
        if chatty {
            eprintln!(
                "\ripfs-kit: push to {}: {fault}; trying again in {:.1}s (attempt {} of {})\x1b[K",
                kubo.name(),
                wait.as_secs_f64(),
                attempt + 1,
                args.retries
            );
        }
    });
    drop(ticker);
    let imported = imported?;
    Ok(Sent {
        blocks: plan.blocks.len(),
        block_bytes: plan.block_bytes,
        car_bytes: plan.total_bytes(),
        attempts: imported.attempts,
        confirmation: imported.confirmation,
    })
}

fn record(log: &StateLog, v: &Version, remote: &str, kind: &str, confirmation: &Confirmation) -> Result<()> {
    log.append(&PushRecord {
        time: ipfs_kit_blockstore::time::now_rfc3339(),
        bucket: v.bucket.clone(),
        snapshot: v.snapshot.clone(),
        root: v.root.to_string(),
        remote: remote.to_owned(),
        kind: kind.to_owned(),
        confirmation: confirmation.clone(),
        storacha: None,
    })?;
    Ok(())
}

/// A final `failed`, or a request still open at the timeout, is an error line (its state is
/// recorded as the service gave it).
fn pin_verdict(args: &PushArgs, last: &PinStatus) -> Result<()> {
    match last.status.as_str() {
        "pinned" => Ok(()),
        "failed" => bail!("pin on {}: the service reports request {} as failed", args.to, last.request_id),
        other => bail!(
            "pin on {}: request {} is still {other} after {}s (recorded as {other}; `ipfs-kit bucket status --refresh` asks again)",
            args.to,
            last.request_id,
            args.pin_timeout
        ),
    }
}

fn report(
    args: &PushArgs,
    v: &Version,
    remote: &str,
    kind: &str,
    sent: Option<&Sent>,
    c: &Confirmation,
    started: Instant,
) -> Result<()> {
    let secs = started.elapsed().as_secs_f64();
    if args.json {
        let mut out = json!({
            "bucket": v.bucket, "snapshot": v.snapshot, "root": v.root.to_string(), "remote": remote, "kind": kind,
            "status": c.status, "seen": c.seen, "request_id": c.request_id, "since": args.since, "seconds": secs,
        });
        if let Some(s) = sent {
            out["blocks"] = s.blocks.into();
            out["block_bytes"] = s.block_bytes.into();
            out["car_bytes"] = s.car_bytes.into();
            out["attempts"] = s.attempts.into();
        }
        println!("{out}");
        return Ok(());
    }
    let what = v.bucket.as_deref().unwrap_or("the global snapshot");
    let sent = sent.map(|s| format!(", {} blocks ({} bytes) sent", s.blocks, s.block_bytes)).unwrap_or_default();
    println!("pushed {what} {} to {remote} ({kind}): {}{sent} in {secs:.1}s", v.root, c.seen);
    Ok(())
}
