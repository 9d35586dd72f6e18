//! One module per command; `run` dispatches.

mod bucket;
mod hash;
mod unlock;

use std::time::Duration;

use anyhow::Result;
use ipfs_kit_buckets::{Buckets, Home};

use crate::cli::{Cli, Command, ProfileArgs};
use ipfs_kit_unixfs::{Overrides, Profile};

pub fn run(cli: Cli) -> Result<()> {
    let ctx = Context { home: Home::resolve(cli.home.as_deref()), lock_wait: Duration::from_secs(cli.lock_wait) };
    match cli.command {
        Command::Hash(args) => hash::run(args),
        Command::Bucket(cmd) => bucket::run(&ctx, cmd),
        Command::Unlock { json } => unlock::run(&ctx, json),
    }
}

/// Settings every command that touches a home needs.
pub(crate) struct Context {
    pub home: Home,
    pub lock_wait: Duration,
}

impl Context {
    /// Opens the home for a command, telling the user if it waits for another writer.
    pub fn open(&self, command: &str) -> Result<Buckets> {
        let mut buckets = Buckets::open(self.home.clone())?;
        let on_wait = Box::new(|holder: &ipfs_kit_blockstore::LockHolder| {
            eprintln!("ipfs-kit: waiting for the lock held by {holder}");
        });
        buckets.set_lock_policy(self.lock_wait, command, on_wait);
        buckets.repair_indexes()?;
        Ok(buckets)
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
