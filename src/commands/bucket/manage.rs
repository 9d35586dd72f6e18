//! `bucket create`, `list`, `info` and `rm`.

use std::io::Write;

use anyhow::Result;
use ipfs_kit_buckets::{BucketRow, BucketSummary};
use serde_json::json;

use crate::cidfmt::CidBase;
use crate::cli::OutputArgs;
use crate::commands::Context;

/// A bucket as JSON, with CIDs in the chosen base.
pub(crate) fn bucket_json(row: &BucketRow, base: CidBase) -> serde_json::Value {
    json!({
        "name": row.name,
        "root": base.format(&row.root),
        "profile": row.profile,
        "version": row.version,
        "dag_size": row.root_tsize,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    })
}

fn summary_json(s: &BucketSummary, base: CidBase) -> serde_json::Value {
    let mut v = bucket_json(&s.row, base);
    v["files"] = json!(s.files);
    v["total_size"] = json!(s.bytes);
    v
}

pub fn create(ctx: &Context, name: &str, profile: &str, out: &OutputArgs) -> Result<()> {
    let base = out.cid_base.unwrap_or_default();
    let row = ctx.open("ipfs-kit bucket create")?.create(name, profile)?;
    if out.json {
        println!("{}", bucket_json(&row, base));
    } else {
        println!("created bucket {} ({}) root {}", row.name, row.profile, base.format(&row.root));
    }
    Ok(())
}

pub fn list(ctx: &Context, out: &OutputArgs) -> Result<()> {
    let base = out.cid_base.unwrap_or_default();
    let buckets = ctx.open_existing("ipfs-kit bucket list")?.list()?;
    let mut stdout = std::io::stdout().lock();
    if out.json {
        let all: Vec<_> = buckets.iter().map(|s| summary_json(s, base)).collect();
        writeln!(stdout, "{}", serde_json::Value::Array(all))?;
    } else {
        for s in &buckets {
            writeln!(
                stdout,
                "{}\t{}\t{} files\t{} bytes\t{}",
                s.row.name,
                base.format(&s.row.root),
                s.files,
                s.bytes,
                s.row.profile
            )?;
        }
    }
    Ok(())
}

pub fn info(ctx: &Context, name: &str, out: &OutputArgs) -> Result<()> {
    let base = out.cid_base.unwrap_or_default();
    let s = ctx.open_existing("ipfs-kit bucket info")?.info(name)?;
    if out.json {
        println!("{}", summary_json(&s, base));
    } else {
        println!("bucket:   {}", s.row.name);
        println!("root:     {}", base.format(&s.row.root));
        println!("files:    {}", s.files);
        println!("size:     {} bytes", s.bytes);
        println!("profile:  {}", s.row.profile);
        println!("version:  {}", s.row.version);
        println!("updated:  {}", s.row.updated_at);
    }
    Ok(())
}

pub fn rm(ctx: &Context, name: &str, json: bool) -> Result<()> {
    ctx.open("ipfs-kit bucket rm")?.rm(name)?;
    if json {
        println!("{}", json!({"removed": name}));
    } else {
        eprintln!("removed bucket {name} (its blocks stay until `ipfs-kit gc`)");
    }
    Ok(())
}
