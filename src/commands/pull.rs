//! `ipfs-kit pull CID --from REMOTE_OR_URL`: fetch a DAG with `ipfs_kit_transfer::pull` (CAR
//! first, then block by block, every block verified before it is stored), mount it in a
//! bucket or write the tree out, and print what it did.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use ipfs_kit_buckets::car::Mount;
use ipfs_kit_transfer::PullRequest;
use serde_json::json;

use crate::cidfmt::parse_cid;
use crate::cli::PullArgs;
use crate::commands::Context;
use crate::commands::transfer_progress::TransferProgress;

pub fn run(ctx: &Context, args: &PullArgs) -> Result<()> {
    let root = parse_cid(&args.cid)?;
    if let Some(out) = &args.output
        && out.symlink_metadata().is_ok()
    {
        bail!("{}: already exists; pull -o writes a new file or folder", out.display());
    }
    let mut buckets = ctx.open("ipfs-kit pull")?;
    let request = PullRequest {
        root,
        from: &args.from,
        mount: args.bucket.as_deref().map(|bucket| Mount { bucket, at: args.to.as_deref(), replace: args.replace }),
        retries: args.retries,
        timeout: Duration::from_secs(args.timeout),
    };
    let started = Instant::now();
    let mut progress = TransferProgress::new(ctx, buckets.store().meter());
    let pulled = ipfs_kit_transfer::pull(&mut buckets, &request, &mut progress)?;
    let (report, mounted) = (pulled.report, pulled.mounted);
    let secs = started.elapsed().as_secs_f64();
    let written = match &args.output {
        Some(out) => Some(super::car::write_tree_out(ctx, buckets.store(), &root, out)?),
        None => None,
    };
    if args.json {
        println!(
            "{}",
            json!({"root": root.to_string(), "from": args.from, "had_all": report.had_all,
                   "blocks": report.blocks, "bytes": report.bytes, "new_blocks": report.new_blocks,
                   "car_requests": report.car_requests, "block_requests": report.block_requests,
                   "cut_off": report.cut_off, "seconds": secs,
                   "bucket": mounted.as_ref().map(|m| &m.0), "path": mounted.as_ref().map(|m| &m.1),
                   "output": args.output.as_ref().map(|o| o.display().to_string()), "output_bytes": written})
        );
        return Ok(());
    }
    println!("{root}");
    if report.had_all {
        eprintln!("the home holds the whole DAG already: nothing fetched");
    } else {
        eprintln!(
            "pulled {} blocks ({} bytes, {} new) from {} in {secs:.1}s: {} CAR and {} block requests{}",
            report.blocks,
            report.bytes,
            report.new_blocks,
            args.from,
            report.car_requests,
            report.block_requests,
            if report.cut_off > 0 { format!(", {} CAR responses cut off", report.cut_off) } else { String::new() }
        );
    }
    match (&mounted, &written) {
        (Some((b, p)), _) => eprintln!("mounted at {b}:{p}"),
        (None, Some(bytes)) => {
            eprintln!("wrote {} ({bytes} bytes of files)", args.output.as_ref().expect("set").display())
        }
        (None, None) => eprintln!(
            "no bucket or snapshot references these blocks yet: mount the root with --bucket, or write it out \
             with -o, before the next `ipfs-kit gc`"
        ),
    }
    Ok(())
}
