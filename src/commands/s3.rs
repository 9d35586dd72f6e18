//! `ipfs-kit s3 key create|list|rm`: the access keys of `serve --s3`.

use std::io::Write;

use anyhow::{Result, bail};
use ipfs_kit_buckets::Buckets;
use serde_json::json;

use crate::cli::{S3Command, S3KeyCommand};
use crate::commands::Context;

pub fn run(ctx: &Context, cmd: S3Command) -> Result<()> {
    let S3Command::Key(cmd) = cmd;
    let home = ctx.home.root();
    let mut out = std::io::stdout().lock();
    match cmd {
        S3KeyCommand::Create { read_only, buckets, json } => {
            if !buckets.is_empty() {
                let open = Buckets::open_existing(ctx.home.clone())?;
                for name in &buckets {
                    open.info(name)?;
                }
            }
            let now = ipfs_kit_buckets::time::now_rfc3339();
            let key = ipfs_kit_s3::keys::create(home, read_only, buckets, now)?;
            if json {
                let line = json!({
                    "access_key_id": key.id,
                    "secret_access_key": key.secret,
                    "read_only": key.read_only,
                    "buckets": key.buckets,
                });
                writeln!(out, "{line}")?;
            } else {
                writeln!(out, "access key id:      {}", key.id)?;
                writeln!(out, "secret access key:  {}", key.secret)?;
                writeln!(out, "(the secret is shown only now; keep it, or create another key)")?;
            }
        }
        S3KeyCommand::List { json } => {
            for key in ipfs_kit_s3::keys::load(home)? {
                let scope = if key.buckets.is_empty() { "all buckets".to_owned() } else { key.buckets.join(",") };
                if json {
                    let line = json!({
                        "access_key_id": key.id,
                        "read_only": key.read_only,
                        "buckets": key.buckets,
                        "created_at": key.created_at,
                    });
                    writeln!(out, "{line}")?;
                } else {
                    let mode = if key.read_only { "read-only" } else { "read-write" };
                    writeln!(out, "{}\t{mode}\t{scope}\t{}", key.id, key.created_at)?;
                }
            }
        }
        S3KeyCommand::Rm { id } => {
            if !ipfs_kit_s3::keys::remove(home, &id)? {
                bail!("no S3 access key {id:?} (see `ipfs-kit s3 key list`)");
            }
        }
    }
    Ok(())
}
