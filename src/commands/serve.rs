//! `ipfs-kit serve`: the gateway crate, given where each version lives (the remotes' push
//! records) so its web page can show it.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use cid::Cid;
use ipfs_kit_gateway::{Place, Places, ServeConfig};
use ipfs_kit_remotes::config::{RemoteSpec, Remotes};
use ipfs_kit_remotes::state::StateLog;

use crate::cli::ServeArgs;
use crate::commands::Context;

pub fn run(ctx: &Context, args: &ServeArgs) -> Result<()> {
    limit_malloc_arenas();
    let mut config = ServeConfig::new(ctx.home.clone(), args.listen);
    config.public = args.public;
    config.buckets = args.buckets.clone();
    config.log = args.log;
    config.limits.header_timeout = std::time::Duration::from_secs(args.header_timeout);
    config.places = Some(Arc::new(RecordedPlaces { home: ctx.home.root().to_owned() }));
    let gateway = ipfs_kit_gateway::bind(config)?;
    let s3 = if args.s3 {
        let mut s3 = ipfs_kit_s3::S3Config::new(ctx.home.clone(), args.s3_listen);
        s3.public = args.public;
        s3.limits.max_uploads = args.s3_max_uploads as usize;
        s3.connections.header_timeout = std::time::Duration::from_secs(args.header_timeout);
        Some(ipfs_kit_s3::bind(s3)?)
    } else {
        None
    };
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{}", gateway.addr())?;
        if let Some(s3) = &s3 {
            let addr = s3.addr();
            writeln!(out, "s3 endpoint http://{addr} (region {})", ipfs_kit_s3::REGION)?;
            writeln!(out, "aws --endpoint-url http://{addr} s3 ls")?;
        }
        out.flush()?;
    }
    let threads = gateway.read_threads();
    ipfs_kit_http::run(threads, move |stop| {
        let mut servers = vec![gateway.serving(stop.clone())];
        servers.extend(s3.map(|s3| s3.serving(stop)));
        servers
    })?;
    Ok(())
}

/// glibc gives each thread that allocates its own arena (up to 8 per core), and an arena keeps
/// what was freed in it. The server's blocking pool (16 threads) allocates multi-MiB import and
/// pack buffers in turn, so every arena ends up holding a few: a 1 GiB `aws s3 cp` left the
/// process at ~200 MB. Two arenas bound that to what is in use at once, at the cost of a
/// little contention on allocation, which these threads do rarely and in big pieces.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator settings; it is called before the runtime starts
    // any thread, and M_ARENA_MAX takes any positive count.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Where a version lives, from `remote_state.jsonl`: the newest record of each remote.
struct RecordedPlaces {
    home: PathBuf,
}

impl Places for RecordedPlaces {
    fn places(&self, root: &Cid) -> Vec<Place> {
        let Ok(latest) = StateLog::new(&self.home).latest() else {
            return Vec::new();
        };
        let configured = Remotes::load(&self.home).ok();
        let key = root.to_string();
        let Some(by_remote) = latest.get(&key) else {
            return Vec::new();
        };
        by_remote
            .values()
            .map(|r| {
                let held = matches!(
                    (r.kind.as_str(), r.confirmation.status.as_str()),
                    ("kubo", "pinned") | ("storacha", "uploaded")
                );
                let url = match configured.as_ref().and_then(|c| c.get(&r.remote).ok()) {
                    Some(RemoteSpec::Storacha { gateway, .. }) if held => {
                        Some(format!("{}/ipfs/{}", gateway.trim_end_matches('/'), r.root))
                    }
                    _ => None,
                };
                Place {
                    remote: r.remote.clone(),
                    kind: r.kind.clone(),
                    status: r.confirmation.status.clone(),
                    at: r.time.clone(),
                    pull: held.then(|| format!("ipfs-kit pull {} --from {}", r.root, r.remote)),
                    url,
                }
            })
            .collect()
    }
}
