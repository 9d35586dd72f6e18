//! `bucket add`.

use ipfs_kit_unixfs::name::escape_controls;
use std::path::PathBuf;

use anyhow::Result;
use serde_json::json;

use super::manage::bucket_json;
use crate::cli::OutputArgs;
use crate::commands::Context;
use crate::progress::Progress;

pub fn run(ctx: &Context, name: &str, paths: &[PathBuf], to: &str, hidden: bool, out: &OutputArgs) -> Result<()> {
    let base = out.cid_base.unwrap_or_default();
    let mut buckets = ctx.open("ipfs-kit bucket add")?;
    let mut progress = Progress::for_stderr(paths, hidden, ctx.quiet);
    let report = buckets.add(name, paths, to, hidden, &mut progress);
    progress.finish();
    let report = report?;
    if out.json {
        let added: Vec<_> = report.added.iter().map(|(p, c)| json!({"path": p, "cid": base.format(c)})).collect();
        let v = json!({
            "bucket": bucket_json(&report.bucket, base),
            "added": added,
            "files": report.files,
            "bytes": report.bytes,
            "new_blocks": report.new_blocks,
            "new_block_bytes": report.new_block_bytes,
        });
        println!("{v}");
    } else {
        for (path, cid) in &report.added {
            println!("added {} /{}", base.format(cid), escape_controls(path));
        }
        println!("root {}", base.format(&report.bucket.root));
    }
    Ok(())
}
