//! `ipfs-kit check`: errors (each with its repair) and hints; non-zero exit on errors.

use anyhow::Result;
use serde_json::json;

use super::Context;

pub fn run(ctx: &Context, read_data: bool, repair: bool, json: bool) -> Result<()> {
    let mut buckets = ctx.open_read("ipfs-kit check")?;
    // What every command does on open, but a failure here (a damaged catalog) is for the check
    // below to report, not a reason to stop before it.
    let _ = buckets.repair_indexes();
    let _ = buckets.repair_manifest();
    // Reading every block is the long part: its total is the store's size.
    let total = if read_data { buckets.store().totals().ok().map(|(_, bytes)| bytes) } else { None };
    let ticker = ctx.ticker(if read_data { "reading" } else { "checking" }, total, buckets.store().meter());
    let report = buckets.check_settled(read_data, repair);
    drop(ticker);
    let report = report?;
    if json {
        let list = |items: &[ipfs_kit_buckets::check::Finding]| -> Vec<serde_json::Value> {
            items.iter().map(|f| json!({"message": f.message, "repair": f.repair})).collect()
        };
        println!(
            "{}",
            json!({
                "errors": list(&report.errors), "hints": list(&report.hints), "repaired": report.repaired,
                "buckets": report.buckets, "snapshots": report.snapshots,
                "blocks_verified": report.blocks_verified, "bytes_verified": report.bytes_verified,
            })
        );
    } else {
        for f in &report.errors {
            println!("error: {}\n  repair: {}", f.message, f.repair);
        }
        for f in &report.hints {
            println!("hint: {}\n  {}", f.message, f.repair);
        }
        for r in &report.repaired {
            println!("repaired: {r}");
        }
        let data = if read_data {
            format!(", {} blocks ({} bytes) read and verified", report.blocks_verified, report.bytes_verified)
        } else {
            String::new()
        };
        println!(
            "checked {} buckets and {} snapshots{data}: {} errors, {} hints",
            report.buckets,
            report.snapshots,
            report.errors.len(),
            report.hints.len()
        );
    }
    if !report.errors.is_empty() {
        // The report is the message; exit non-zero without another line.
        std::process::exit(1);
    }
    Ok(())
}
