//! `ipfs-kit remote …`: the remotes of a home, by name. Secrets never reach the output.

use std::time::Duration;

use anyhow::Result;
use ipfs_kit_remotes::config::parse_header;
use ipfs_kit_remotes::http::Timeouts;
use ipfs_kit_remotes::retry::RetryPolicy;
use ipfs_kit_remotes::storacha::{self, Endpoint};
use ipfs_kit_remotes::{RemoteSpec, Remotes};
use serde_json::json;

use super::Context;
use crate::cli::{RemoteCommand, RemoteKind};

pub fn run(ctx: &Context, cmd: RemoteCommand) -> Result<()> {
    match cmd {
        RemoteCommand::Add { name, kind } => add(ctx, &name, kind),
        RemoteCommand::List { json } => list(ctx, json),
        RemoteCommand::Rm { name } => rm(ctx, &name),
        RemoteCommand::Check { name, json } => check(ctx, &name, json),
        RemoteCommand::Ls { name, json } => ls(ctx, &name, json),
    }
}

fn add(ctx: &Context, name: &str, kind: RemoteKind) -> Result<()> {
    // Opened for writing: the home is made if needed, and a read-only one refuses.
    let buckets = ctx.open("ipfs-kit remote add")?;
    let spec = match kind {
        RemoteKind::Kubo { api, header } => {
            let headers = header.iter().map(|h| parse_header(h)).collect::<Result<Vec<_>, _>>()?;
            RemoteSpec::Kubo { api, headers }
        }
        RemoteKind::Pinning { endpoint, token, kubo } => RemoteSpec::Pinning { endpoint, token, kubo },
        RemoteKind::Gateway { url } => RemoteSpec::Gateway { url },
        RemoteKind::Storacha(a) => {
            let proof = storacha::proof_text(&a.proof)?;
            let (_, _, space) = storacha::check_credentials(&a.key, &proof)?;
            RemoteSpec::Storacha {
                service_url: a.service_url,
                service_did: a.service_did,
                receipts_url: a.receipts_url,
                gateway: a.gateway,
                key: a.key.trim().to_owned(),
                proof,
                space,
            }
        }
    };
    let mut remotes = Remotes::load(buckets.home().root())?;
    remotes.add(name, spec.clone())?;
    println!("added {} remote {name} at {}", spec.kind(), spec.url());
    Ok(())
}

fn list(ctx: &Context, json: bool) -> Result<()> {
    let buckets = ctx.open_read("ipfs-kit remote list")?;
    let remotes = Remotes::load(buckets.home().root())?;
    if json {
        let all: Vec<_> = remotes
            .by_name
            .iter()
            .map(|(name, spec)| {
                let mut v = spec.masked();
                v["name"] = name.clone().into();
                v
            })
            .collect();
        println!("{}", serde_json::Value::Array(all));
        return Ok(());
    }
    for (name, spec) in &remotes.by_name {
        let extra = match spec {
            RemoteSpec::Kubo { headers, .. } if !headers.is_empty() => {
                let names: Vec<_> =
                    headers.iter().map(|(k, _)| format!("{k}: {}", ipfs_kit_remotes::config::MASK)).collect();
                format!("\theaders {}", names.join(", "))
            }
            RemoteSpec::Pinning { kubo, .. } => {
                format!(
                    "\ttoken {}{}",
                    ipfs_kit_remotes::config::MASK,
                    kubo.as_ref().map(|k| format!("\tkubo {k}")).unwrap_or_default()
                )
            }
            RemoteSpec::Storacha { space, gateway, .. } => {
                format!("\tspace {space}\tgateway {gateway}\tkey {}", ipfs_kit_remotes::config::MASK)
            }
            _ => String::new(),
        };
        println!("{name}\t{}\t{}{extra}", spec.kind(), spec.url());
    }
    Ok(())
}

fn rm(ctx: &Context, name: &str) -> Result<()> {
    let buckets = ctx.open("ipfs-kit remote rm")?;
    let mut remotes = Remotes::load(buckets.home().root())?;
    let used_by: Vec<_> = remotes
        .by_name
        .iter()
        .filter(|(_, s)| matches!(s, RemoteSpec::Pinning { kubo: Some(k), .. } if k == name))
        .map(|(n, _)| n.clone())
        .collect();
    if !used_by.is_empty() {
        anyhow::bail!("remote {name:?} is the --kubo remote of {}; remove those first", used_by.join(", "));
    }
    let spec = remotes.remove(name)?;
    println!("removed {} remote {name}", spec.kind());
    Ok(())
}

fn check(ctx: &Context, name: &str, json: bool) -> Result<()> {
    let buckets = ctx.open_read("ipfs-kit remote check")?;
    let remotes = Remotes::load(buckets.home().root())?;
    let spec = remotes.get(name)?;
    let timeouts = Timeouts { connect: Duration::from_secs(10), answer: Duration::from_secs(30) };
    let remote = ipfs_kit_remotes::open(name, spec, RetryPolicy::with_attempts(1), timeouts);
    let report = remote.check()?;
    if json {
        println!(
            "{}",
            json!({"name": name, "kind": spec.kind(), "url": spec.url(), "ok": true, "version": report.version, "detail": report.detail})
        );
    } else {
        let version = report.version.map(|v| format!(", version {v}")).unwrap_or_default();
        println!("{name}: {} at {}: reachable{version}; {}", spec.kind(), spec.url(), report.detail);
    }
    Ok(())
}

/// `upload/list` of a Storacha remote's space: one line per upload, root then shards.
fn ls(ctx: &Context, name: &str, json: bool) -> Result<()> {
    let buckets = ctx.open_read("ipfs-kit remote ls")?;
    let remotes = Remotes::load(buckets.home().root())?;
    let RemoteSpec::Storacha { service_url, service_did, receipts_url, key, proof, .. } = remotes.get(name)? else {
        anyhow::bail!("remote {name:?} is not a storacha remote: `remote ls` lists a Storacha space's uploads");
    };
    let endpoint = Endpoint { service_url, service_did, receipts_url };
    let uploads = storacha::uploads(&storacha::client(&endpoint, key, proof)?)?;
    if json {
        let all: Vec<_> = uploads
            .iter()
            .map(|u| {
                json!({"root": u.root.to_string(), "shards": u.shards.iter().map(ToString::to_string).collect::<Vec<_>>(),
                       "inserted_at": u.inserted_at})
            })
            .collect();
        println!("{}", serde_json::Value::Array(all));
        return Ok(());
    }
    for u in &uploads {
        let shards: Vec<_> = u.shards.iter().map(ToString::to_string).collect();
        println!("{}\t{}", u.root, shards.join(","));
    }
    Ok(())
}
