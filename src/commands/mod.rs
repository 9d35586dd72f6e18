//! One module per command; `run` dispatches.

mod bucket;
mod car;
mod check;
mod demo;
mod demo_data;
mod gc;
mod hash;
mod pull;
mod remote;
mod s3;
mod serve;
mod transfer_progress;
mod unlock;

use std::time::Duration;

use std::sync::Arc;

use anyhow::Result;
use ipfs_kit_buckets::{Buckets, Home, Waiting};

use crate::cli::{Cli, Command, ProfileArgs, SnapshotsCommand};
use crate::progress::Ticker;
use ipfs_kit_unixfs::{Meter, Overrides, Profile, TreeLimits};

pub fn run(cli: Cli) -> Result<()> {
    let limits = cli.max_entries.map_or_else(TreeLimits::default, TreeLimits::with_max_entries);
    let ctx = Context {
        home: Home::resolve(cli.home.as_deref())?,
        lock_wait: Duration::from_secs(cli.lock_wait),
        limits,
        quiet: cli.quiet,
    };
    match cli.command {
        Command::Hash(args) => hash::run(args),
        Command::Bucket(cmd) => bucket::run(&ctx, cmd),
        Command::Unlock { json } => unlock::run(&ctx, json),
        Command::Car(cmd) => car::run(&ctx, cmd),
        Command::Remote(cmd) => remote::run(&ctx, cmd),
        Command::Pull(args) => pull::run(&ctx, &args),
        Command::Serve(args) => serve::run(&ctx, &args),
        Command::S3(cmd) => s3::run(&ctx, cmd),
        Command::Demo { json } => demo::run(&ctx, json),
        Command::Snapshots(SnapshotsCommand::Prune { keep, force, json }) => gc::prune(&ctx, keep, force, json),
        Command::Gc { dry_run, json } => gc::gc(&ctx, dry_run, json),
        Command::Check { read_data, repair, json } => check::run(&ctx, read_data, repair, json),
    }
}

/// Settings every command that touches a home needs.
pub(crate) struct Context {
    pub home: Home,
    pub lock_wait: Duration,
    /// Bounds on DAGs from elsewhere (`--max-entries`).
    pub limits: TreeLimits,
    /// `-q`: no progress line.
    pub quiet: bool,
}

impl Context {
    /// A progress line over `meter` for a long operation (see `progress::Ticker`).
    pub fn ticker(&self, what: &'static str, total_bytes: Option<u64>, meter: Arc<Meter>) -> Ticker {
        Ticker::start(what, total_bytes, self.quiet, meter)
    }
}

impl Context {
    /// Opens the home for a command that writes (creating it if needed). An index or manifest
    /// left stale by a crash is rewritten first, if no other writer holds the lock (it is never
    /// waited for); when nothing is stale no lock is taken.
    pub fn open(&self, command: &str) -> Result<Buckets> {
        let buckets = Buckets::open(self.home.clone())?;
        self.repaired(self.configured(buckets, command))
    }

    /// Opens an existing home for a command that only reads: it says "no ipfs-kit home" rather
    /// than create one, and opens a home on read-only media read-only. The same repairs as
    /// `open` run where the home can be written.
    pub fn open_existing(&self, command: &str) -> Result<Buckets> {
        self.repaired(self.open_read(command)?)
    }

    /// `open_existing` without the repairs: for `bucket cat` and `bucket get`, which take no
    /// lock and write nothing but read counts (reads use the catalog), and for `check`, which
    /// must report a damaged catalog rather than die rewriting an index from it.
    pub fn open_read(&self, command: &str) -> Result<Buckets> {
        Ok(self.configured(Buckets::open_existing(self.home.clone())?, command))
    }

    fn repaired(&self, mut buckets: Buckets) -> Result<Buckets> {
        buckets.repair_indexes()?;
        buckets.repair_manifest()?;
        Ok(buckets)
    }

    fn configured(&self, mut buckets: Buckets, command: &str) -> Buckets {
        let on_wait = Box::new(|what: &Waiting<'_>| match what {
            Waiting::Writer(holder) => eprintln!("ipfs-kit: waiting for the lock held by {holder}"),
            Waiting::Collector => eprintln!("ipfs-kit: waiting for a running gc to finish"),
            Waiting::Writers => eprintln!("ipfs-kit: waiting for commands that are writing blocks to finish"),
        });
        buckets.set_lock_policy(self.lock_wait, command, on_wait);
        buckets.set_limits(self.limits);
        buckets
    }
}

/// Turns profile flags into a checked `Profile`.
pub(crate) fn profile_from(args: &ProfileArgs) -> Result<Profile> {
    let overrides = Overrides {
        cid_version: args.cid_version,
        raw_leaves: args.raw_leaves,
        chunker: args.chunker.clone(),
        max_links: args.max_links,
    };
    Ok(Profile::named(&args.profile)?.with_overrides(&overrides)?)
}
