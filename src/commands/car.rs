//! `ipfs-kit car import|verify|ls|roots|unpack`.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, Result, anyhow, bail};
use cid::Cid;
use ipfs_kit_buckets::car::Mount;
use ipfs_kit_buckets::car_file::IndexedCar;
use ipfs_kit_buckets::car_verify::CarVerdict;
use ipfs_kit_buckets::dag::stat;
use ipfs_kit_ipld::codec::codec_name;
use ipfs_kit_ipld::hash::hash_name;
use ipfs_kit_unixfs::block::{DAG_PB, RAW};
use ipfs_kit_unixfs::name::escape_controls;
use ipfs_kit_unixfs::{DagReader, EntryKind, Meter, check_tree};
use serde_json::json;

use super::Context;
use crate::cidfmt::{CidBase, parse_cid};
use crate::cli::CarCommand;

pub fn run(ctx: &Context, cmd: CarCommand) -> Result<()> {
    match cmd {
        CarCommand::Import { files, bucket, to, replace, zero_length_as_eof, json } => {
            let mount = bucket.as_deref().map(|bucket| Mount { bucket, at: to.as_deref(), replace });
            let mut buckets = ctx.open("ipfs-kit car import")?;
            let total = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
            let ticker = ctx.ticker("importing", Some(total), buckets.store().meter());
            let report = buckets.import_cars_with(&files, mount, zero_length_as_eof);
            drop(ticker);
            let report = report?;
            if json {
                let roots: Vec<String> = report.roots.iter().map(Cid::to_string).collect();
                println!(
                    "{}",
                    json!({"roots": roots, "blocks": report.blocks, "bytes": report.bytes,
                           "new_blocks": report.new_blocks, "new_bytes": report.new_bytes,
                           "bucket": report.mounted.as_ref().map(|m| &m.0), "path": report.mounted.as_ref().map(|m| &m.1)})
                );
            } else {
                for root in &report.roots {
                    println!("{root}");
                }
                eprintln!(
                    "imported {} blocks ({} bytes; {} new, {} bytes){}",
                    report.blocks,
                    report.bytes,
                    report.new_blocks,
                    report.new_bytes,
                    report.mounted.as_ref().map(|(b, p)| format!("; mounted at {b}:{p}")).unwrap_or_default()
                );
                if report.mounted.is_none() && report.roots.iter().all(|r| matches!(r.codec(), DAG_PB | RAW)) {
                    eprintln!(
                        "no bucket or snapshot references these blocks yet: mount the root with --bucket, or \
                         `bucket restore NAME --from-cid CID`, before the next `ipfs-kit gc`"
                    );
                } else if report.mounted.is_none() {
                    eprintln!(
                        "no bucket or snapshot references these blocks yet, and a root that is not UnixFS ({}) \
                         cannot be mounted in a bucket: the next `ipfs-kit gc` removes them unless a bucket or \
                         snapshot comes to reach them",
                        report.roots.iter().map(|r| codec_name(r.codec())).collect::<Vec<_>>().join(", ")
                    );
                }
            }
            Ok(())
        }
        CarCommand::Verify { file, zero_length_as_eof, json } => verify(ctx, &file, zero_length_as_eof, json),
        CarCommand::Ls { file, root, verbose, zero_length_as_eof, out } => {
            let base = out.cid_base.unwrap_or_default();
            if verbose {
                return ls_blocks(&file, zero_length_as_eof, base, out.json);
            }
            let car = IndexedCar::open_with(&file, Arc::default(), zero_length_as_eof)?;
            ls(ctx, &car, file.as_path(), root.as_deref(), base, out.json)
        }
        CarCommand::Roots { file, out } => {
            let base = out.cid_base.unwrap_or_default();
            // The header alone: a CAR whose blocks cannot be verified still names its roots.
            let input = std::fs::File::open(&file).with_context(|| file.display().to_string())?;
            let (_, roots) = ipfs_kit_car::read_roots(std::io::BufReader::new(input), ipfs_kit_car::Limits::default())
                .map_err(|e| anyhow!("{}: {e}", file.display()))?;
            if out.json {
                let roots: Vec<String> = roots.iter().map(|r| base.format(r)).collect();
                println!("{}", json!(roots));
            } else {
                for root in &roots {
                    println!("{}", base.format(root));
                }
            }
            Ok(())
        }
        CarCommand::Unpack { file, output, root, zero_length_as_eof } => {
            unpack(ctx, &file, &output, root.as_deref(), zero_length_as_eof)
        }
    }
}

fn pick_root(car: &IndexedCar, root: Option<&str>) -> Result<Cid> {
    match root {
        Some(text) => {
            let cid = parse_cid(text)?;
            if !car.roots.iter().any(|r| r.hash() == cid.hash()) && !car.has(&cid) {
                bail!("{text} is not in this CAR");
            }
            Ok(cid)
        }
        None => Ok(car.single_root()?),
    }
}

fn verify(ctx: &Context, file: &Path, zero_length_as_eof: bool, json: bool) -> Result<()> {
    let meter = Arc::new(Meter::default());
    let ticker = ctx.ticker("verifying", std::fs::metadata(file).ok().map(|m| m.len()), meter.clone());
    let car = IndexedCar::open_with(file, meter, zero_length_as_eof)?;
    let verdict = car.verdict(&ctx.limits)?;
    let complete = verdict.is_complete();
    let CarVerdict { missing, opaque, faults } = verdict;
    drop(ticker);
    let version = match car.version {
        ipfs_kit_car::CarVersion::V1 => 1,
        ipfs_kit_car::CarVersion::V2 => 2,
    };
    if json {
        let roots: Vec<String> = car.roots.iter().map(Cid::to_string).collect();
        let first: Vec<String> = missing.iter().take(10).map(Cid::to_string).collect();
        println!(
            "{}",
            json!({"version": version, "roots": roots, "blocks": car.blocks, "block_bytes": car.block_bytes,
                   "complete": complete, "missing_blocks": missing.len(),
                   "missing": first, "unread_links": opaque.iter().take(10).map(Cid::to_string).collect::<Vec<_>>(),
                   "faults": faults})
        );
    } else {
        println!(
            "CARv{version}, {} root{}, {} blocks ({} bytes), every block matches its CID",
            car.roots.len(),
            if car.roots.len() == 1 { "" } else { "s" },
            car.blocks,
            car.block_bytes
        );
        if complete {
            println!("the DAG is complete");
        } else if !missing.is_empty() {
            println!(
                "the DAG is incomplete: {} linked blocks are not in this CAR (first: {})",
                missing.len(),
                missing[0]
            );
        } else if let Some(first) = opaque.first() {
            println!(
                "completeness unknown: {} blocks use codecs whose links ipfs-kit does not read (first: {first}, {})",
                opaque.len(),
                codec_name(first.codec())
            );
        }
    }
    if let Some(fault) = faults.first() {
        bail!("{}: {fault}", file.display());
    }
    Ok(())
}

/// `car ls --verbose`: every block in file order, as it is verified, with its codec, multihash
/// function and size. Works on a CAR of any codec, UnixFS or not.
fn ls_blocks(file: &Path, zero_length_as_eof: bool, base: CidBase, json: bool) -> Result<()> {
    let input = std::fs::File::open(file).with_context(|| file.display().to_string())?;
    let bad = |e| anyhow!("{}: {e}", file.display());
    let mut reader =
        ipfs_kit_car::CarReader::new(std::io::BufReader::with_capacity(1 << 20, input), Default::default())
            .map_err(bad)?
            .zero_length_as_eof(zero_length_as_eof);
    let mut stdout = std::io::stdout().lock();
    while let Some(block) = reader.next_block().map_err(bad)? {
        let (codec, hash) = (codec_name(block.cid.codec()), hash_name(block.cid.hash().code()));
        if json {
            let value = json!({"cid": base.format(&block.cid), "codec": codec, "multihash": hash,
                               "size": block.data.len(), "offset": block.offset});
            writeln!(stdout, "{value}")?;
        } else {
            writeln!(stdout, "{}\t{codec}\t{hash}\t{}", base.format(&block.cid), block.data.len())?;
        }
    }
    Ok(())
}

fn ls(ctx: &Context, car: &IndexedCar, file: &Path, root: Option<&str>, base: CidBase, json: bool) -> Result<()> {
    let root = pick_root(car, root)?;
    if !matches!(root.codec(), DAG_PB | RAW) {
        bail!(
            "{}: the root {root} is {}, not UnixFS, so it has no files to list; `car ls --verbose` lists its blocks",
            file.display(),
            codec_name(root.codec())
        );
    }
    let reader = DagReader::new(car);
    let mut stdout = std::io::stdout().lock();
    if reader.entry_kind(&root)? != EntryKind::Directory {
        writeln!(stdout, "{}", base.format(&root))?;
        return Ok(());
    }
    // The whole tree is bounded and checked first, so the listing below cannot run away.
    check_tree(car, &root, &ctx.limits).map_err(|e| anyhow!("{}: {e}", file.display()))?;
    // Depth-first in name order, each entry printed as it is reached: nothing is buffered
    // beyond one listing per open directory.
    let mut stack = vec![(String::new(), reader.list(&root)?.into_iter())];
    while let Some((dir, entries)) = stack.last_mut() {
        let Some(entry) = entries.next() else {
            stack.pop();
            continue;
        };
        let path = if dir.is_empty() { entry.name.clone() } else { format!("{dir}/{}", entry.name) };
        let (kind, size) = stat(&reader, &entry.cid, entry.tsize.unwrap_or(0))?;
        if json {
            let value = json!({"path": path, "type": kind.as_str(), "cid": base.format(&entry.cid), "size": size});
            writeln!(stdout, "{value}")?;
        } else {
            let slash = if kind == EntryKind::Directory { "/" } else { "" };
            writeln!(stdout, "{}\t{}\t{}{slash}", base.format(&entry.cid), size, escape_controls(&path))?;
        }
        if kind == EntryKind::Directory {
            let listing = reader.list(&entry.cid)?;
            stack.push((path, listing.into_iter()));
        }
    }
    Ok(())
}

fn unpack(ctx: &Context, file: &Path, output: &Path, root: Option<&str>, zero_length_as_eof: bool) -> Result<()> {
    if output.symlink_metadata().is_ok() {
        bail!("{}: already exists; unpack writes a new folder", output.display());
    }
    let meter = Arc::new(Meter::default());
    let ticker = ctx.ticker("unpacking", None, meter.clone());
    let car = IndexedCar::open_with(file, meter, zero_length_as_eof)?;
    let root = pick_root(&car, root)?;
    if !matches!(root.codec(), DAG_PB | RAW) {
        bail!(
            "{}: the root {root} is {}, not UnixFS; unpack writes UnixFS files",
            file.display(),
            codec_name(root.codec())
        );
    }
    let missing = car.missing_under(&root)?.missing;
    if let Some(first) = missing.first() {
        bail!(
            "{}: the DAG is incomplete ({} blocks missing, first {first}); nothing was written",
            file.display(),
            missing.len()
        );
    }
    let bytes = write_tree_out(ctx, &car, &root, output).map_err(|e| anyhow!("{}: {e:#}", file.display()))?;
    drop(ticker);
    eprintln!("unpacked {root} to {} ({bytes} bytes of files)", output.display());
    Ok(())
}

/// Writes the UnixFS tree at `root` out to `output`, a new file or folder, with the safe-name
/// rules of `export` (for `car unpack` and `pull -o`). Built in a temporary sibling and renamed
/// into place, so OUT appears whole or not at all.
pub(crate) fn write_tree_out(
    ctx: &Context,
    source: &dyn ipfs_kit_unixfs::BlockSource,
    root: &Cid,
    output: &Path,
) -> Result<u64> {
    if output.symlink_metadata().is_ok() {
        bail!("{}: already exists; nothing was written", output.display());
    }
    if DagReader::new(source).entry_kind(root)? == EntryKind::Symlink {
        bail!(
            "the root {root} is a symlink; ipfs-kit writes files and folders, not a link to somewhere else \
             (nothing was written)"
        );
    }
    let parent = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = parent.join(format!(".ipfs-kit-unpack-{}", std::process::id()));
    match ipfs_kit_buckets::export::export(source, root, &tmp, &ctx.limits) {
        Ok(bytes) => {
            std::fs::rename(&tmp, output).with_context(|| output.display().to_string())?;
            Ok(bytes)
        }
        Err(err) => {
            let _ = std::fs::remove_dir_all(&tmp).or_else(|_| std::fs::remove_file(&tmp));
            // The whole cause chain ("File name too long", "No space left on device"), naming
            // the folder the user asked for, not our temporary one.
            let message = format!("{:#}", anyhow::Error::from(err));
            bail!(
                "{} (nothing was written)",
                message.replace(&tmp.display().to_string(), &output.display().to_string())
            )
        }
    }
}
