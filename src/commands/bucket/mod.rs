//! `ipfs-kit bucket …`: one function per subcommand, grouped by what they do to a bucket.

mod add;
mod car;
mod edit;
mod history;
mod manage;
mod push;
mod read;
mod ready;
mod status;

use anyhow::Result;

use super::Context;
use crate::cli::BucketCommand;

pub fn run(ctx: &Context, cmd: BucketCommand) -> Result<()> {
    match cmd {
        BucketCommand::Create { name, profile, out } => manage::create(ctx, &name, &profile, &out),
        BucketCommand::List { out } => manage::list(ctx, &out),
        BucketCommand::Info { name, out } => manage::info(ctx, &name, &out),
        BucketCommand::Rm { name, json } => manage::rm(ctx, &name, json),
        BucketCommand::Add { name, paths, to, hidden, out } => add::run(ctx, &name, &paths, &to, hidden, &out),
        BucketCommand::Files { name, prefix, limit, out } => read::files(ctx, &name, &prefix, limit, &out),
        BucketCommand::Cat { name, path } => read::cat(ctx, &name, &path),
        BucketCommand::Get { name, path, output, json } => read::get(ctx, &name, &path, &output, json),
        BucketCommand::FindCid { cid, out } => read::find_cid(ctx, &cid, &out),
        BucketCommand::RmFile { name, path, recursive, out } => edit::rm_file(ctx, &name, &path, recursive, &out),
        BucketCommand::Snapshot { names, all: _, message, json } => {
            history::snapshot(ctx, &names, message.as_deref(), json)
        }
        BucketCommand::Snapshots { bucket, json } => history::snapshots(ctx, bucket.as_deref(), json),
        BucketCommand::Log { name, json } => history::log(ctx, &name, json),
        BucketCommand::Diff { name, from, to, out } => history::diff(ctx, &name, from.as_deref(), to.as_deref(), &out),
        BucketCommand::Restore { name, snapshot, from_cid, out } => {
            history::restore(ctx, &name, snapshot.as_deref(), from_cid.as_deref(), &out)
        }
        BucketCommand::Push(args) => push::run(ctx, &args),
        BucketCommand::Status { name, refresh, json } => status::run(ctx, name.as_deref(), refresh, json),
        BucketCommand::Reindex { name } => history::reindex(ctx, &name),
        BucketCommand::PrepareCar { name, all: _, shard_size, v2, json } => {
            car::prepare(ctx, name.as_deref(), shard_size, v2, json)
        }
        BucketCommand::ExportCar {
            name,
            all: _,
            output,
            snapshot,
            since,
            shard_size,
            v2,
            storacha,
            verify,
            car_cid,
            force,
            json,
        } => {
            let options = ipfs_kit_buckets::car::ExportOptions {
                snapshot: snapshot.as_deref(),
                since: since.as_deref(),
                shard_size,
                v2,
                storacha,
                verify,
                car_cid,
            };
            car::export(ctx, name.as_deref(), output.as_deref(), &options, force, json)
        }
        BucketCommand::Mv { name, from, to, out } => edit::mv(ctx, &name, &from, &to, &out),
    }
}
