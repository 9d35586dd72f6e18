//! `ipfs-kit gc` and `ipfs-kit snapshots prune`.

use anyhow::Result;
use serde_json::json;

use super::Context;

pub fn prune(ctx: &Context, keep: usize, force: bool, json: bool) -> Result<()> {
    if keep == 0 && !force {
        anyhow::bail!("--keep 0 deletes every snapshot, the whole history; pass --force to do that");
    }
    let removed = ctx.open("ipfs-kit snapshots prune")?.prune_snapshots(keep)?;
    if json {
        let ids: Vec<&str> = removed.iter().map(|r| r.snapshot_id.as_str()).collect();
        println!("{}", json!({"removed": ids, "kept": keep}));
    } else {
        for r in &removed {
            println!("{}", r.snapshot_id);
        }
        eprintln!("removed {} snapshots; `ipfs-kit gc` frees their blocks", removed.len());
    }
    Ok(())
}

pub fn gc(ctx: &Context, dry_run: bool, json: bool) -> Result<()> {
    // A dry run is a read: no home is made for it, and one on read-only media can be surveyed.
    let mut buckets = if dry_run { ctx.open_existing("ipfs-kit gc")? } else { ctx.open("ipfs-kit gc")? };
    let ticker = ctx.ticker("marking live blocks", None, buckets.store().meter());
    let report = buckets.gc(dry_run);
    drop(ticker);
    let report = report?;
    let s = &report.sweep;
    if json {
        println!(
            "{}",
            json!({
                "dry_run": dry_run, "roots": report.roots,
                "live_blocks": s.live_blocks, "live_bytes": s.live_bytes,
                "dead_blocks": s.dead_blocks, "dead_bytes": s.dead_bytes,
                "packs_removed": s.packs_removed, "packs_rewritten": s.packs_rewritten,
                "moved_bytes": s.moved_bytes, "orphan_files": s.orphan_files, "freed_bytes": s.freed_bytes,
            })
        );
        return Ok(());
    }
    let verb = if dry_run { "would delete" } else { "deleted" };
    println!(
        "{verb} {} blocks ({} bytes); kept {} blocks ({} bytes) reached from {} roots",
        s.dead_blocks, s.dead_bytes, s.live_blocks, s.live_bytes, report.roots
    );
    println!(
        "packs: {} removed, {} rewritten ({} live bytes moved), {} orphan files; {} bytes of disk {}",
        s.packs_removed,
        s.packs_rewritten,
        s.moved_bytes,
        s.orphan_files,
        s.freed_bytes,
        if dry_run { "would be freed" } else { "freed" }
    );
    Ok(())
}
