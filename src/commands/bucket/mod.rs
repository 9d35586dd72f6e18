//! `ipfs-kit bucket …`: one function per subcommand, grouped by what they do to a bucket.

mod add;
mod edit;
mod manage;
mod read;

use anyhow::Result;

use super::Context;
use crate::cli::BucketCommand;

pub fn run(ctx: &Context, cmd: BucketCommand) -> Result<()> {
    match cmd {
        BucketCommand::Create { name, profile, out } => manage::create(ctx, &name, &profile, &out),
        BucketCommand::List { out } => manage::list(ctx, &out),
        BucketCommand::Info { name, out } => manage::info(ctx, &name, &out),
        BucketCommand::Rm { name, json } => manage::rm(ctx, &name, json),
        BucketCommand::Add { name, paths, to, hidden, quiet, out } => {
            add::run(ctx, &name, &paths, &to, hidden, quiet, &out)
        }
        BucketCommand::Files { name, prefix, limit, out } => read::files(ctx, &name, &prefix, limit, &out),
        BucketCommand::Cat { name, path } => read::cat(ctx, &name, &path),
        BucketCommand::Get { name, path, output, json } => read::get(ctx, &name, &path, &output, json),
        BucketCommand::FindCid { cid, out } => read::find_cid(ctx, &cid, &out),
        BucketCommand::RmFile { name, path, recursive, out } => edit::rm_file(ctx, &name, &path, recursive, &out),
        BucketCommand::Mv { name, from, to, out } => edit::mv(ctx, &name, &from, &to, &out),
    }
}
