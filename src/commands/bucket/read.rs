//! `bucket files`, `cat`, `get` and `find-cid`: commands that read a bucket.

use ipfs_kit_unixfs::name::escape_controls;
use std::io::Write;
use std::path::Path;

use anyhow::Result;
use ipfs_kit_buckets::EntryRow;
use serde_json::json;

use crate::cidfmt::{CidBase, parse_cid};
use crate::cli::OutputArgs;
use crate::commands::Context;

fn entry_json(e: &EntryRow, base: CidBase) -> serde_json::Value {
    json!({
        "path": e.path,
        "type": e.kind.as_str(),
        "cid": base.format(&e.cid),
        "size": e.size,
        "dag_size": e.tsize,
        "mtime": e.mtime,
        "mode": e.mode,
        "content_hash": e.content_hash.map(|h| h.iter().map(|b| format!("{b:02x}")).collect::<String>()),
        "added_at": e.added_at,
        "version": e.version,
        "access_count": e.access_count,
        "last_accessed": e.last_accessed,
    })
}

pub fn files(ctx: &Context, name: &str, prefix: &str, limit: Option<u64>, out: &OutputArgs) -> Result<()> {
    let base = out.cid_base.unwrap_or_default();
    let buckets = ctx.open_existing("ipfs-kit bucket files")?;
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    if out.json {
        for e in &buckets.files(name, prefix, limit)? {
            writeln!(stdout, "{}", entry_json(e, base))?;
        }
    } else {
        buckets.listing(name, prefix, limit, |path, cid, size| {
            writeln!(stdout, "{}\t{size}\t{}", base.format(cid), escape_controls(path))
        })?;
    }
    stdout.flush()?;
    Ok(())
}

pub fn cat(ctx: &Context, name: &str, path: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    ctx.open_read("ipfs-kit bucket cat")?.cat(name, path, &mut stdout)?;
    stdout.flush()?;
    Ok(())
}

pub fn get(ctx: &Context, name: &str, path: &str, output: &Path, json: bool) -> Result<()> {
    let mut buckets = ctx.open_read("ipfs-kit bucket get")?;
    let ticker = ctx.ticker("writing", None, buckets.store().meter());
    let bytes = buckets.get(name, path, output);
    drop(ticker);
    let bytes = bytes?;
    if json {
        println!("{}", json!({"output": output.to_string_lossy(), "bytes": bytes}));
    } else {
        eprintln!("wrote {} ({bytes} bytes)", output.display());
    }
    Ok(())
}

pub fn find_cid(ctx: &Context, cid: &str, out: &OutputArgs) -> Result<()> {
    let cid = parse_cid(cid)?;
    let found = ctx.open_existing("ipfs-kit bucket find-cid")?.find_cid(&cid)?;
    if out.json {
        let all: Vec<_> =
            found.iter().map(|f| json!({"bucket": f.bucket, "path": f.path, "type": f.kind.as_str()})).collect();
        println!("{}", serde_json::Value::Array(all));
    } else {
        for f in &found {
            println!("{}\t/{}\t{}", f.bucket, escape_controls(&f.path), f.kind.as_str());
        }
    }
    if found.is_empty() {
        anyhow::bail!("CID {cid} is not in any bucket");
    }
    Ok(())
}
