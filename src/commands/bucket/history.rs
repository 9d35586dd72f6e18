//! `bucket snapshot`, `snapshots`, `log`, `diff`, `restore` and `reindex`.

use ipfs_kit_unixfs::name::escape_controls;
use std::io::Write;

use anyhow::Result;
use ipfs_kit_buckets::manifest::SnapshotRecord;
use ipfs_kit_buckets::restore::RestoreFrom;
use serde_json::json;

use crate::cidfmt::parse_cid;
use crate::cli::OutputArgs;
use crate::commands::Context;
use crate::commands::bucket::manage::bucket_json;
use crate::commands::bucket::ready::Readiness;
use crate::commands::bucket::status::{canonical, pushed_by_root};

pub fn snapshot(ctx: &Context, names: &[String], message: Option<&str>, json: bool) -> Result<()> {
    let outcome = ctx.open("ipfs-kit bucket snapshot")?.snapshot(names, message)?;
    let r = &outcome.record;
    if json {
        let mut value = serde_json::to_value(r)?;
        value["created"] = json!(outcome.created);
        println!("{value}");
    } else if outcome.created {
        println!("{}", r.snapshot_id);
        eprintln!(
            "snapshot of {} buckets, {} files, {} bytes; global hash {}",
            r.bucket_count, r.total_files, r.total_size_bytes, r.global_hash
        );
    } else {
        println!("{}", r.snapshot_id);
        eprintln!("nothing changed since snapshot {}; no new snapshot written", r.snapshot_id);
    }
    Ok(())
}

pub fn snapshots(ctx: &Context, bucket: Option<&str>, json: bool) -> Result<()> {
    let buckets = ctx.open_existing("ipfs-kit bucket snapshots")?;
    let records = buckets.snapshots()?;
    let mut stdout = std::io::stdout().lock();
    match bucket {
        None if json => writeln!(stdout, "{}", serde_json::to_value(&records)?)?,
        None => {
            if records.is_empty() {
                eprintln!("no snapshots yet; `ipfs-kit bucket snapshot` takes one");
            }
            writeln!(
                stdout,
                "{:<44} {:<20} {:>7} {:>9} {:>14}  GLOBAL HASH",
                "SNAPSHOT", "CREATED", "BUCKETS", "FILES", "BYTES"
            )?;
            for r in records.iter().rev() {
                writeln!(
                    stdout,
                    "{:<44} {:<20} {:>7} {:>9} {:>14}  {}{}",
                    r.snapshot_id,
                    &r.created_at[..19.min(r.created_at.len())],
                    r.bucket_count,
                    r.total_files,
                    r.total_size_bytes,
                    r.global_hash,
                    r.message.as_deref().map(|m| format!("  {m}")).unwrap_or_default()
                )?;
            }
        }
        Some(name) => {
            let with: Vec<(&SnapshotRecord, _)> =
                records.iter().rev().filter_map(|r| r.buckets.get(name).map(|b| (r, b))).collect();
            if with.is_empty() {
                anyhow::bail!("no snapshot holds bucket {name:?} (see `ipfs-kit bucket snapshots`)");
            }
            let pushed = pushed_by_root(&buckets)?;
            let mut ready = Vec::with_capacity(with.len());
            for (_, b) in &with {
                let records = pushed.get(&canonical(&b.content_hash)).into_iter().flat_map(|m| m.values());
                ready.push(Readiness::of(&buckets, &b.content_hash, records)?);
            }
            if json {
                let all: Vec<_> = with
                    .iter()
                    .zip(&ready)
                    .map(|((r, b), ready)| {
                        let mut v = serde_json::to_value(b).expect("records serialise");
                        v["snapshot_id"] = json!(r.snapshot_id);
                        v["created_at"] = json!(r.created_at);
                        v["global_hash"] = json!(r.global_hash);
                        // Verified now (see `ready`); the record's own says what held then.
                        v["car_ready_at_snapshot"] = json!(b.car_ready);
                        ready.write_into(&mut v);
                        v
                    })
                    .collect();
                writeln!(stdout, "{}", serde_json::Value::Array(all))?;
            } else {
                for ((r, b), ready) in with.into_iter().zip(ready) {
                    writeln!(stdout, "{}  {}", r.snapshot_id, r.created_at)?;
                    writeln!(stdout, "  version:        {}", b.version)?;
                    writeln!(stdout, "  content_hash:   {}", b.content_hash)?;
                    writeln!(stdout, "  snapshot_hash:  {}", b.snapshot_hash)?;
                    writeln!(stdout, "  files:          {}", b.file_count)?;
                    writeln!(stdout, "  size:           {} bytes", b.total_size_bytes)?;
                    writeln!(stdout, "  parquet_file:   {}", b.parquet_file)?;
                    writeln!(stdout, "  car_ready:      {}", ready.car_ready)?;
                    writeln!(stdout, "  ipfs_ready:     {}", ready.ipfs_ready)?;
                    writeln!(stdout, "  storacha_ready: {}", ready.storacha_ready)?;
                }
            }
        }
    }
    Ok(())
}

pub fn log(ctx: &Context, name: &str, json: bool) -> Result<()> {
    let entries = ctx.open_existing("ipfs-kit bucket log")?.log(name)?;
    let mut stdout = std::io::stdout().lock();
    if json {
        let all: Vec<_> = entries
            .iter()
            .map(|e| {
                json!({
                    "version": e.version,
                    "root": e.root,
                    "files": e.files,
                    "size": e.bytes,
                    "at": e.at,
                    "snapshot_id": e.snapshot.as_ref().map(|s| &s.snapshot_id),
                    "message": e.snapshot.as_ref().and_then(|s| s.message.as_ref()),
                })
            })
            .collect();
        writeln!(stdout, "{}", serde_json::Value::Array(all))?;
        return Ok(());
    }
    for e in &entries {
        let label = e.snapshot.as_ref().map_or("(working, not snapshotted)", |s| s.snapshot_id.as_str());
        writeln!(
            stdout,
            "version {:<5} {}  {} files  {} bytes  {}  {label}",
            e.version, e.root, e.files, e.bytes, e.at
        )?;
        if let Some(message) = e.snapshot.as_ref().and_then(|s| s.message.as_ref()) {
            writeln!(stdout, "    {message}")?;
        }
    }
    Ok(())
}

pub fn diff(ctx: &Context, name: &str, from: Option<&str>, to: Option<&str>, out: &OutputArgs) -> Result<()> {
    let base = out.cid_base.unwrap_or_default();
    let report = ctx.open_existing("ipfs-kit bucket diff")?.diff(name, from, to)?;
    let cid = |c: &Option<cid::Cid>| c.as_ref().map(|c| base.format(c));
    let mut stdout = std::io::stdout().lock();
    if out.json {
        let changes: Vec<_> = report
            .entries
            .iter()
            .map(|e| {
                json!({"path": e.path, "change": e.change.as_str(), "type": e.kind.as_str(),
                       "old": cid(&e.old), "new": cid(&e.new)})
            })
            .collect();
        let value = json!({
            "bucket": name,
            "from": report.from.label, "from_root": cid(&report.from.root),
            "to": report.to.label, "to_root": cid(&report.to.root),
            "changes": changes,
        });
        writeln!(stdout, "{value}")?;
        return Ok(());
    }
    let mut counts = [0usize; 3];
    for e in &report.entries {
        counts[e.change as usize] += 1;
        let dir = if e.kind == ipfs_kit_unixfs::EntryKind::Directory { "/" } else { "" };
        match (&e.old, &e.new) {
            (Some(old), Some(new)) => writeln!(
                stdout,
                "{:<9}{}{dir}\t{} -> {}",
                e.change.as_str(),
                escape_controls(&e.path),
                base.format(old),
                base.format(new)
            )?,
            (Some(c), None) | (None, Some(c)) => {
                writeln!(stdout, "{:<9}{}{dir}\t{}", e.change.as_str(), escape_controls(&e.path), base.format(c))?
            }
            (None, None) => {}
        }
    }
    eprintln!(
        "{} added, {} removed, {} modified ({} -> {})",
        counts[0], counts[1], counts[2], report.from.label, report.to.label
    );
    Ok(())
}

pub fn restore(
    ctx: &Context,
    name: &str,
    snapshot: Option<&str>,
    from_cid: Option<&str>,
    out: &OutputArgs,
) -> Result<()> {
    let base = out.cid_base.unwrap_or_default();
    let from = match (snapshot, from_cid) {
        (Some(id), _) => RestoreFrom::Snapshot(id),
        (None, Some(text)) => RestoreFrom::Cid(parse_cid(text)?),
        (None, None) => anyhow::bail!("say what to restore from: --snapshot ID or --from-cid CID"),
    };
    let mut buckets = ctx.open("ipfs-kit bucket restore")?;
    let ticker = ctx.ticker("restoring", None, buckets.store().meter());
    let report = buckets.restore(name, from);
    drop(ticker);
    let report = report?;
    if out.json {
        let mut value = bucket_json(&report.bucket, base);
        value["files"] = json!(report.files);
        value["restored_from"] = json!(report.from);
        println!("{value}");
    } else {
        println!("{}", base.format(&report.bucket.root));
        eprintln!(
            "restored bucket {} to {} ({} files), now version {}",
            name, report.from, report.files, report.bucket.version
        );
    }
    Ok(())
}

pub fn reindex(ctx: &Context, name: &str) -> Result<()> {
    ctx.open("ipfs-kit bucket reindex")?.reindex(name)?;
    eprintln!("rewrote the Parquet index of {name}");
    Ok(())
}
