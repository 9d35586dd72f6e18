//! `ipfs-kit pull CID --from REMOTE_OR_URL`: fetch a DAG (CAR first, then block by block for
//! what a cut-off CAR left out), every block verified before it is stored (see
//! `ipfs_kit_buckets::pull_dag`), then mount it in a bucket or write the tree out.

use std::io::Read;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use cid::Cid;
use ipfs_kit_buckets::car::Mount;
use ipfs_kit_buckets::pull_dag::{DagSource, FetchError, MAX_BLOCK};
use ipfs_kit_remotes::Remotes;
use ipfs_kit_remotes::fetch::Fetcher;
use ipfs_kit_remotes::http::Timeouts;
use ipfs_kit_remotes::retry::RetryPolicy;
use serde_json::json;

use crate::cidfmt::parse_cid;
use crate::cli::PullArgs;
use crate::commands::Context;

/// The remote as the bucket layer's source of blocks.
struct Remote(Fetcher);

impl DagSource for Remote {
    fn car(&mut self, root: &Cid) -> Result<Box<dyn Read + '_>, FetchError> {
        Ok(self.0.car(root)?)
    }

    fn block(&mut self, cid: &Cid) -> Result<Vec<u8>, FetchError> {
        Ok(self.0.block(cid, MAX_BLOCK as u64)?)
    }
}

pub fn run(ctx: &Context, args: &PullArgs) -> Result<()> {
    let root = parse_cid(&args.cid)?;
    if let Some(out) = &args.output
        && out.symlink_metadata().is_ok()
    {
        bail!("{}: already exists; pull -o writes a new file or folder", out.display());
    }
    let mut buckets = ctx.open("ipfs-kit pull")?;
    if let (Some(bucket), Some(at)) = (&args.bucket, &args.to) {
        // Refused before anything is fetched.
        buckets.check_mount_target(bucket, at, args.replace)?;
    }
    let remotes = Remotes::load(buckets.home().root())?;
    let timeouts = Timeouts { connect: Duration::from_secs(10), answer: Duration::from_secs(args.timeout.max(1)) };
    let mut source = Remote(Fetcher::open(&args.from, &remotes, RetryPolicy::with_attempts(args.retries), timeouts)?);
    let started = Instant::now();
    let ticker = ctx.ticker("pulling", None, buckets.store().meter());
    let report = buckets.pull(&mut source, &root);
    drop(ticker);
    let report = report?;
    let secs = started.elapsed().as_secs_f64();
    let mounted = match &args.bucket {
        Some(bucket) => {
            Some(buckets.mount_stored(Mount { bucket, at: args.to.as_deref(), replace: args.replace }, &root)?)
        }
        None => None,
    };
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
