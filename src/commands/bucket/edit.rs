//! `bucket rm-file` and `bucket mv`.

use anyhow::Result;

use super::manage::bucket_json;
use crate::cidfmt::CidBase;
use crate::cli::OutputArgs;
use crate::commands::Context;

pub fn rm_file(ctx: &Context, name: &str, path: &str, recursive: bool, out: &OutputArgs) -> Result<()> {
    let base = out.cid_base.unwrap_or_default();
    let row = ctx.open("ipfs-kit bucket rm-file")?.rm_file(name, path, recursive)?;
    print_root(&row, base, out.json);
    Ok(())
}

pub fn mv(ctx: &Context, name: &str, from: &str, to: &str, out: &OutputArgs) -> Result<()> {
    let base = out.cid_base.unwrap_or_default();
    let row = ctx.open("ipfs-kit bucket mv")?.mv(name, from, to)?;
    print_root(&row, base, out.json);
    Ok(())
}

/// After a change: the bucket's new root (the line a script wants).
fn print_root(row: &ipfs_kit_buckets::BucketRow, base: CidBase, json: bool) {
    if json {
        println!("{}", bucket_json(row, base));
    } else {
        println!("{}", base.format(&row.root));
    }
}
