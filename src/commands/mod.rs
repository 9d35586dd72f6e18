//! One module per command; `run` dispatches.

mod hash;

use anyhow::Result;

use crate::cli::{Cli, Command, ProfileArgs};
use ipfs_kit_unixfs::{Overrides, Profile};

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Hash(args) => hash::run(args),
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
