//! `bucket push NAME --to REMOTE`: the push itself is `ipfs_kit_transfer::push` (a kubo node's
//! `dag/import`, a pinning service, or a Storacha space; nothing recorded before the remote
//! confirmed it); this prints what it reports.

use std::time::{Duration, Instant};

use anyhow::Result;
use ipfs_kit_transfer::{PushRequest, Pushed};
use serde_json::json;

use crate::cli::PushArgs;
use crate::commands::Context;
use crate::commands::transfer_progress::TransferProgress;

pub fn run(ctx: &Context, args: &PushArgs) -> Result<()> {
    let buckets = ctx.open_existing("ipfs-kit bucket push")?;
    let request = PushRequest {
        bucket: args.name.as_deref(),
        remote: &args.to,
        snapshot: args.snapshot.as_deref(),
        since: args.since.as_deref(),
        verify: args.verify,
        retries: args.retries,
        timeout: Duration::from_secs(args.timeout),
        pin_name: args.pin_name.as_deref(),
        pin_timeout: Duration::from_secs(args.pin_timeout),
        shard_size: args.shard_size,
    };
    let started = Instant::now();
    let mut progress = TransferProgress::new(ctx, buckets.store().meter());
    let pushed = ipfs_kit_transfer::push(&buckets, &request, &mut progress)?;
    match &pushed.storacha {
        Some(_) => report_storacha(args, &pushed, started),
        None => report(args, &pushed, started),
    }
}

/// What a Storacha push prints: the upload's root, shards, index and pieces.
fn report_storacha(args: &PushArgs, p: &Pushed, started: Instant) -> Result<()> {
    let secs = started.elapsed().as_secs_f64();
    let (s, c) = (p.storacha.as_ref().expect("a storacha push"), &p.confirmation);
    let u = &s.upload;
    if args.json {
        let out = json!({
            "bucket": p.bucket, "snapshot": p.snapshot, "root": p.root.to_string(), "remote": p.remote,
            "kind": p.kind, "status": c.status, "seen": c.seen, "since": args.since, "seconds": secs,
            "space": u.space, "shards": u.shards, "pieces": u.pieces, "index": u.index,
            "shards_sent": s.shards_sent, "bytes_sent": s.bytes_sent, "car_bytes": s.car_bytes,
        });
        println!("{out}");
        return Ok(());
    }
    let what = p.bucket.as_deref().unwrap_or("the global snapshot");
    println!(
        "pushed {what} {} to {} (storacha space {}): {} shards ({} sent, {} bytes; the rest were there), index {} in {secs:.1}s",
        p.root,
        p.remote,
        u.space,
        u.shards.len(),
        s.shards_sent,
        s.bytes_sent,
        u.index
    );
    Ok(())
}

/// What a push to a kubo or pinning remote prints.
fn report(args: &PushArgs, p: &Pushed, started: Instant) -> Result<()> {
    let secs = started.elapsed().as_secs_f64();
    let c = &p.confirmation;
    if args.json {
        let mut out = json!({
            "bucket": p.bucket, "snapshot": p.snapshot, "root": p.root.to_string(), "remote": p.remote,
            "kind": p.kind, "status": c.status, "seen": c.seen, "request_id": c.request_id, "since": args.since,
            "seconds": secs,
        });
        if let Some(s) = &p.sent {
            out["blocks"] = s.blocks.into();
            out["block_bytes"] = s.block_bytes.into();
            out["car_bytes"] = s.car_bytes.into();
            out["attempts"] = s.attempts.into();
        }
        println!("{out}");
        return Ok(());
    }
    let what = p.bucket.as_deref().unwrap_or("the global snapshot");
    let sent = p.sent.as_ref().map(|s| format!(", {} blocks ({} bytes) sent", s.blocks, s.block_bytes));
    println!(
        "pushed {what} {} to {} ({}): {}{} in {secs:.1}s",
        p.root,
        p.remote,
        p.kind,
        c.seen,
        sent.unwrap_or_default()
    );
    Ok(())
}
