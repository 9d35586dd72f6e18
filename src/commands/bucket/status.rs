//! `bucket status [NAME]`: for each version of a bucket, whether it is only local or on which
//! remotes, and in what state there, as the records say (or, with `--refresh`, as the remotes
//! say now; what they say is recorded when it changed).

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Result;
use cid::Cid;
use ipfs_kit_buckets::Buckets;
use ipfs_kit_remotes::http::Timeouts;
use ipfs_kit_remotes::retry::RetryPolicy;
use ipfs_kit_remotes::state::{PushRecord, StateLog};
use ipfs_kit_remotes::{RemoteError, RemoteSpec, Remotes};
use serde_json::{Value, json};

use crate::commands::Context;
use crate::commands::bucket::ready::Readiness;

/// The records' key for a root: its canonical string (base32 for CIDv1).
pub fn canonical(root: &str) -> String {
    root.parse::<Cid>().map(|c| c.to_string()).unwrap_or_else(|_| root.to_owned())
}

/// The newest record of each remote, by canonical root.
pub fn pushed_by_root(buckets: &Buckets) -> Result<BTreeMap<String, BTreeMap<String, PushRecord>>> {
    let mut latest: BTreeMap<String, BTreeMap<String, PushRecord>> = BTreeMap::new();
    for (root, by_remote) in StateLog::new(buckets.home().root()).latest()? {
        latest.entry(canonical(&root)).or_default().extend(by_remote);
    }
    Ok(latest)
}

pub fn run(ctx: &Context, name: Option<&str>, refresh: bool, json: bool) -> Result<()> {
    let buckets = ctx.open_existing("ipfs-kit bucket status")?;
    let names: Vec<String> = match name {
        Some(n) => vec![n.to_owned()],
        None => buckets.list()?.into_iter().map(|s| s.row.name).collect(),
    };
    let log = StateLog::new(buckets.home().root());
    if refresh {
        refresh_records(ctx, &log, buckets.home().root(), name)?;
    }
    let latest = pushed_by_root(&buckets)?;
    let configured = Remotes::load(buckets.home().root()).ok();
    let remote_json = |r: &PushRecord| remote_json(r, configured.as_ref());
    let mut out = Vec::new();
    for name in &names {
        let mut versions = Vec::new();
        for entry in buckets.log(name)? {
            let records = latest.get(&canonical(&entry.root));
            let remotes: Vec<Value> = records.into_iter().flat_map(|m| m.values()).map(remote_json).collect();
            let ready = Readiness::of(&buckets, &entry.root, records.into_iter().flat_map(|m| m.values()))?;
            let mut version = json!({
                "version": entry.version,
                "snapshot": entry.snapshot.as_ref().map(|s| s.snapshot_id.clone()),
                "root": canonical(&entry.root), "files": entry.files, "bytes": entry.bytes,
                "local_only": remotes.is_empty(), "remotes": remotes,
            });
            ready.write_into(&mut version);
            versions.push(version);
        }
        out.push(json!({"bucket": name, "versions": versions}));
    }
    if json {
        let value = if name.is_some() { out.remove(0) } else { Value::Array(out) };
        println!("{value}");
        return Ok(());
    }
    for b in &out {
        println!("{}", b["bucket"].as_str().unwrap_or(""));
        for v in b["versions"].as_array().into_iter().flatten() {
            let at = v["snapshot"].as_str().unwrap_or("working state");
            let place = if v["local_only"].as_bool() == Some(true) {
                "local only".to_owned()
            } else {
                let parts: Vec<String> = v["remotes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| {
                        let id = r["request_id"].as_str().map(|id| format!(", request {id}")).unwrap_or_default();
                        let at = r["gateway_url"].as_str().map(|u| format!(", at {u}")).unwrap_or_default();
                        format!(
                            "{} ({}): {}{id}, {}{at}",
                            s(&r["remote"]),
                            s(&r["kind"]),
                            s(&r["status"]),
                            s(&r["time"])
                        )
                    })
                    .collect();
                parts.join("; ")
            };
            let flags: Vec<&str> = ["car_ready", "ipfs_ready", "storacha_ready"]
                .into_iter()
                .filter(|f| v[*f].as_bool() == Some(true))
                .collect();
            println!("  v{} {at}\t{}\t{place}\t[{}]", v["version"], s(&v["root"]), flags.join(" "));
        }
    }
    Ok(())
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// A record as shown. A version a node holds pinned, or a Storacha space holds, can be pulled
/// back: `pull` is the command, and for Storacha `gateway_url` is where its gateway serves it.
fn remote_json(r: &PushRecord, configured: Option<&Remotes>) -> Value {
    let mut v = json!({"remote": r.remote, "kind": r.kind, "status": r.confirmation.status, "seen": r.confirmation.seen,
           "request_id": r.confirmation.request_id, "time": r.time, "storacha": r.storacha});
    let held =
        matches!((r.kind.as_str(), r.confirmation.status.as_str()), ("kubo", "pinned") | ("storacha", "uploaded"));
    if held {
        v["pull"] = format!("ipfs-kit pull {} --from {}", r.root, r.remote).into();
        if let Some(RemoteSpec::Storacha { gateway, .. }) = configured.and_then(|c| c.get(&r.remote).ok()) {
            v["gateway_url"] = format!("{}/ipfs/{}", gateway.trim_end_matches('/'), r.root).into();
        }
    }
    v
}

/// Asks each remote that a record names about that root; a changed answer is recorded.
fn refresh_records(ctx: &Context, log: &StateLog, home: &std::path::Path, name: Option<&str>) -> Result<()> {
    let remotes = Remotes::load(home)?;
    let timeouts = Timeouts { connect: Duration::from_secs(10), answer: Duration::from_secs(30) };
    for by_remote in log.latest()?.into_values() {
        for (remote_name, record) in by_remote {
            if name.is_some() && record.bucket.as_deref() != name {
                continue;
            }
            let Ok(spec) = remotes.get(&remote_name) else { continue };
            let Ok(root) = record.root.parse::<Cid>() else { continue };
            let remote = ipfs_kit_remotes::open(&remote_name, spec, RetryPolicy::with_attempts(2), timeouts);
            let now = match remote.confirm(&root) {
                Ok(now) => now,
                Err(e @ (RemoteError::Http { .. } | RemoteError::Storacha { .. })) => {
                    eprintln!("ipfs-kit: {e} (kept the recorded state)");
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let _ = ctx;
            if let Some(now) = now.filter(|n| n != &record.confirmation) {
                log.append(&PushRecord {
                    time: ipfs_kit_blockstore::time::now_rfc3339(),
                    confirmation: now,
                    ..record
                })?;
            }
        }
    }
    Ok(())
}
