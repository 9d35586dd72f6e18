//! `ipfs-kit hash`: the root CID of each path, storing nothing.

use std::io::Write;

use anyhow::Result;
use ipfs_kit_unixfs::block::CountingSink;
use ipfs_kit_unixfs::{ImportOptions, NullSink, import_path};

use crate::cli::HashArgs;

pub fn run(args: HashArgs) -> Result<()> {
    let profile = super::profile_from(&args.profile)?;
    let base = args.cid_base.unwrap_or_default();
    let options = ImportOptions { hidden: args.hidden, ..ImportOptions::default() };
    let mut out = std::io::stdout().lock();
    for path in &args.paths {
        let mut sink = CountingSink::new(NullSink);
        let imported = import_path(path, &profile, &options, &mut sink)?;
        let cid = base.format(&imported.node.cid);
        if args.json {
            let line = serde_json::json!({
                "path": path.to_string_lossy(),
                "cid": cid,
                "type": imported.kind.as_str(),
                "profile": profile.name,
                "bytes": imported.bytes,
                "files": imported.files,
                "dag_size": imported.node.tsize,
                "blocks": sink.unique_blocks(),
            });
            writeln!(out, "{line}")?;
        } else {
            writeln!(out, "{cid}")?;
        }
    }
    out.flush()?;
    Ok(())
}
