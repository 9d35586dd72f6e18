//! `bucket prepare-car` and `bucket export-car`.

use ipfs_kit_unixfs::name::escape_controls;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use ipfs_kit_buckets::car::{CarSubject, ExportOptions};
use ipfs_kit_buckets::car_export::CarPlan;
use serde_json::json;

use crate::commands::Context;

fn shards_json(plan: &CarPlan) -> Vec<serde_json::Value> {
    plan.shards.iter().enumerate().map(|(i, s)| json!({"shard": i + 1, "blocks": s.count, "bytes": s.bytes})).collect()
}

pub fn prepare(ctx: &Context, name: Option<&str>, shard_size: Option<u64>, v2: bool, json: bool) -> Result<()> {
    let buckets = ctx.open_existing("ipfs-kit bucket prepare-car")?;
    let names: Vec<String> = match name {
        Some(n) => vec![n.to_owned()],
        None => buckets.list()?.into_iter().map(|s| s.row.name).collect(),
    };
    let options = ExportOptions { shard_size, v2, ..ExportOptions::default() };
    let mut stdout = std::io::stdout().lock();
    let mut all = Vec::new();
    for name in &names {
        let plan = buckets.car_plan(CarSubject::Bucket(name), &options)?;
        // The human report shows ten files; only JSON lists them all.
        let files = buckets.files(name, "", if json { None } else { Some(10) })?;
        let file_count = buckets.info(name)?.files;
        if json {
            let files: Vec<_> =
                files.iter().map(|f| json!({"path": f.path, "cid": f.cid.to_string(), "size": f.size})).collect();
            all.push(json!({
                "bucket": name, "root": plan.root.to_string(), "blocks": plan.blocks.len(),
                "block_bytes": plan.block_bytes, "car_bytes": plan.total_bytes(), "version": if v2 { 2 } else { 1 },
                "shard_size": shard_size, "shards": shards_json(&plan), "files": files,
            }));
            continue;
        }
        writeln!(
            stdout,
            "{name}: root {}, {} blocks ({} bytes), CARv{} of {} bytes in {} shard{}",
            plan.root,
            plan.blocks.len(),
            plan.block_bytes,
            if v2 { 2 } else { 1 },
            plan.total_bytes(),
            plan.shards.len(),
            if plan.shards.len() == 1 { "" } else { "s" }
        )?;
        if plan.shards.len() > 1 {
            for (i, s) in plan.shards.iter().enumerate() {
                writeln!(stdout, "  shard {}: {} blocks, {} bytes", i + 1, s.count, s.bytes)?;
            }
        }
        writeln!(stdout, "  {file_count} files:")?;
        for f in &files {
            writeln!(stdout, "    {}\t{}\t{}", f.cid, f.size, escape_controls(&f.path))?;
        }
        if file_count > files.len() as u64 {
            writeln!(stdout, "    … and {} more (--json lists all)", file_count - files.len() as u64)?;
        }
    }
    if json {
        let value = if name.is_some() { all.remove(0) } else { serde_json::Value::Array(all) };
        writeln!(stdout, "{value}")?;
    }
    Ok(())
}

/// Where the CAR bytes go.
enum Target {
    Stdout,
    File(PathBuf),
}

pub fn export(
    ctx: &Context,
    name: Option<&str>,
    output: Option<&Path>,
    options: &ExportOptions<'_>,
    force: bool,
    json: bool,
) -> Result<()> {
    let target = match output {
        Some(p) if p == Path::new("-") => Target::Stdout,
        Some(p) => Target::File(p.to_owned()),
        None if std::io::stdout().is_terminal() => {
            bail!("refusing to write a CAR to a terminal; use -o FILE (or -o - to force stdout)")
        }
        None => Target::Stdout,
    };
    let buckets = ctx.open_existing("ipfs-kit bucket export-car")?;
    let subject = name.map_or(CarSubject::All, CarSubject::Bucket);
    let plan = buckets.car_plan(subject, options)?;
    let ticker = ctx.ticker("exporting", Some(plan.block_bytes), buckets.store().meter());
    let mut written = Vec::new();
    match &target {
        Target::Stdout => {
            if plan.shards.len() > 1 {
                bail!("the export needs {} shards; write them to files with -o FILE", plan.shards.len());
            }
            let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
            let car_cid = plan.write_shard(buckets.store(), 0, options.verify, options.car_cid, &mut out)?;
            out.flush().context("writing the CAR to standard output")?;
            written.push(("-".to_owned(), car_cid));
        }
        Target::File(path) => {
            // Whole or not at all: temp files renamed when all are written (`CarPlan::write_files`).
            let files = plan.write_files(buckets.store(), path, options.verify, options.car_cid, force)?;
            written.extend(files.into_iter().map(|(p, cid)| (p.display().to_string(), cid)));
        }
    }
    drop(ticker);
    let shards: Vec<_> = written
        .iter()
        .zip(&plan.shards)
        .map(|((path, cid), s)| {
            let mut shard = json!({"path": path, "blocks": s.count, "bytes": s.bytes});
            if let Some(cid) = cid {
                shard["car_cid"] = json!(cid.to_string());
            }
            shard
        })
        .collect();
    if json {
        let value = json!({
            "root": plan.root.to_string(), "blocks": plan.blocks.len(), "block_bytes": plan.block_bytes,
            "version": if options.v2 { 2 } else { 1 }, "shards": shards,
        });
        match target {
            Target::Stdout => eprintln!("{value}"),
            Target::File(_) => println!("{value}"),
        }
        return Ok(());
    }
    let mut lines =
        vec![format!("root {} ({} blocks, {} bytes of blocks)", plan.root, plan.blocks.len(), plan.block_bytes)];
    for ((path, cid), s) in written.iter().zip(&plan.shards) {
        let cid = cid.map(|c| format!("\t{c}")).unwrap_or_default();
        lines.push(format!("{path}{cid}\t{} bytes\t{} blocks", s.bytes, s.count));
    }
    for line in lines {
        match target {
            Target::Stdout => eprintln!("{line}"),
            Target::File(_) => println!("{line}"),
        }
    }
    Ok(())
}
