//! `ipfs-kit demo`: the earlier design's status report, for real. It builds that design's test
//! data (deterministically), adds it to four buckets, snapshots them and prepares their CARs,
//! then prints the status table and a performance table whose every figure is measured here:
//! each operation in-process (median of many runs) and as a whole CLI process.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use ipfs_kit_buckets::car::{CarSubject, ExportOptions};
use ipfs_kit_unixfs::Quiet;
use serde_json::json;

use super::Context;
use super::demo_data::{BUCKETS, FILES, generate};

/// Median wall time of `runs` calls (what each call returns is dropped inside the timing).
fn median<T>(runs: usize, mut f: impl FnMut() -> Result<T>) -> Result<Duration> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        drop(f()?);
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times[runs / 2])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Times `ipfs-kit --home HOME args…` as a whole process.
fn process_time(home: &Path, args: &[&str]) -> Result<Duration> {
    let exe = std::env::current_exe().context("finding the ipfs-kit binary")?;
    median(5, || {
        let status = Command::new(&exe).arg("--home").arg(home).args(args).stdout(Stdio::null()).status()?;
        if !status.success() {
            bail!("ipfs-kit {} failed", args.join(" "));
        }
        Ok(())
    })
}

pub fn run(ctx: &Context, json_out: bool) -> Result<()> {
    let started = Instant::now();
    let mut buckets = ctx.open("ipfs-kit demo")?;
    let home = ctx.home.root().to_owned();
    let src = tempdir_in_home(&home)?;
    generate(&src).with_context(|| format!("writing the demo files in {}", src.display()))?;
    for bucket in BUCKETS {
        if buckets.list()?.iter().all(|b| b.row.name != bucket) {
            buckets.create(bucket, "unixfs-v1-2025")?;
        }
        let files: Vec<PathBuf> = FILES.iter().filter(|f| f.0 == bucket).map(|f| src.join(bucket).join(f.1)).collect();
        buckets.add(bucket, &files, "/", false, &mut Quiet)?;
    }
    std::fs::remove_dir_all(&src).with_context(|| src.display().to_string())?;
    let snapshot = buckets.snapshot(&[], Some("ipfs-kit demo"))?.record;
    let plans: Vec<_> = BUCKETS
        .iter()
        .map(|b| buckets.car_plan(CarSubject::Bucket(b), &ExportOptions::default()))
        .collect::<Result<_, _>>()?;
    let setup = started.elapsed();

    // The four operations the earlier design timed, in-process.
    let probe = buckets.files("media-bucket", "", None)?.into_iter().next().context("media-bucket is empty")?;
    let runs = 51;
    let files_t = median(runs, || Ok(buckets.files("documents-bucket", "", None)?))?;
    let find_t = median(runs, || Ok(buckets.find_cid(&probe.cid)?))?;
    let snaps_t = median(runs, || Ok(buckets.snapshots()?))?;
    let car_t =
        median(runs, || Ok(buckets.car_plan(CarSubject::Bucket("documents-bucket"), &ExportOptions::default())?))?;
    drop(buckets);
    let probe_cid = probe.cid.to_string();
    let cli = [
        ("bucket files query", process_time(&home, &["bucket", "files", "documents-bucket"])?, files_t),
        ("CID lookup", process_time(&home, &["bucket", "find-cid", &probe_cid])?, find_t),
        ("all-buckets snapshot query", process_time(&home, &["bucket", "snapshots"])?, snaps_t),
        ("single-bucket CAR prep", process_time(&home, &["bucket", "prepare-car", "documents-bucket"])?, car_t),
    ];

    if json_out {
        let perf: Vec<_> = cli
            .iter()
            .map(|(what, process, in_process)| json!({"operation": what, "in_process_ms": ms(*in_process), "cli_process_ms": ms(*process)}))
            .collect();
        let buckets_json: Vec<_> = BUCKETS
            .iter()
            .zip(&plans)
            .map(|(b, p)| {
                let r = &snapshot.buckets[*b];
                json!({"bucket": b, "files": r.file_count, "bytes": r.total_size_bytes, "root": r.content_hash,
                       "car_blocks": p.blocks.len(), "car_bytes": p.total_bytes()})
            })
            .collect();
        println!(
            "{}",
            json!({"home": home, "snapshot_id": snapshot.snapshot_id, "global_hash": snapshot.global_hash,
                   "total_files": snapshot.total_files, "total_size_bytes": snapshot.total_size_bytes,
                   "buckets": buckets_json, "performance": perf, "setup_seconds": setup.as_secs_f64()})
        );
        return Ok(());
    }
    println!(
        "ipfs-kit demo: {} buckets, {} files, {:.1} MB in {}",
        snapshot.bucket_count,
        snapshot.total_files,
        snapshot.total_size_bytes as f64 / 1e6,
        home.display()
    );
    println!("built, added, snapshotted and planned in {:.2} s\n", setup.as_secs_f64());
    println!("{:<18} {:>5} {:>12}  {:<62} {:>10}", "BUCKET", "FILES", "SIZE (MB)", "ROOT CID (zdj7W…)", "CAR BYTES");
    for (b, plan) in BUCKETS.iter().zip(&plans) {
        let r = &snapshot.buckets[*b];
        println!(
            "{:<18} {:>5} {:>12.1}  {:<62} {:>10}",
            b,
            r.file_count,
            r.total_size_bytes as f64 / 1e6,
            r.content_hash,
            plan.total_bytes()
        );
    }
    println!("{:<18} {:>5} {:>12.1}", "total", snapshot.total_files, snapshot.total_size_bytes as f64 / 1e6);
    println!("\nsnapshot:     {}", snapshot.snapshot_id);
    println!("global hash:  {}", snapshot.global_hash);
    println!("\n{:<30} {:>14} {:>16}", "OPERATION (measured now)", "IN-PROCESS", "CLI PROCESS");
    for (what, process, in_process) in &cli {
        println!("{what:<30} {:>11.3} ms {:>13.1} ms", ms(*in_process), ms(*process));
    }
    println!("(in-process: median of {runs} runs; CLI: median of 5 whole `ipfs-kit` processes)");
    // The commands as they can be pasted: this binary as it was run (`./target/release/ipfs-kit`
    // after the README's set-up, `ipfs-kit` once installed), and the home as given.
    let me = shell_word(&invoked_as());
    let h = shell_word(&home.display().to_string());
    println!("\nTry next:");
    println!("  {me} --home {h} bucket files media-bucket");
    println!("  {me} --home {h} bucket find-cid {probe_cid}");
    println!("  {me} --home {h} bucket snapshots --bucket documents-bucket");
    println!("  {me} --home {h} bucket export-car media-bucket -o media.car --shard-size 100MiB");
    println!("  {me} --home {h} bucket export-car --all -o snapshot.car");
    println!("  {me} --home {h} check --read-data");
    println!("  duckdb -c \"SELECT name, size_bytes, cid FROM '{}/vfs/buckets/*_vfs.parquet'\"", home.display());
    Ok(())
}

/// How this process was started: argv[0] when it names a path (`./target/release/ipfs-kit`),
/// else the command found on PATH.
fn invoked_as() -> String {
    std::env::args_os()
        .next()
        .map(|a| a.to_string_lossy().into_owned())
        .filter(|a| a.contains('/'))
        .unwrap_or_else(|| "ipfs-kit".to_owned())
}

/// `word` quoted for a POSIX shell when it needs it.
fn shell_word(word: &str) -> String {
    if !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-+:@%,=".contains(&b)) {
        return word.to_owned();
    }
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// A fresh folder for the generated files, inside the home (same disk, removed afterwards).
fn tempdir_in_home(home: &Path) -> Result<PathBuf> {
    let dir = home.join(format!("demo-src-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| dir.display().to_string())?;
    Ok(dir)
}
