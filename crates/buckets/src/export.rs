//! Writing a UnixFS DAG out to the filesystem, refusing anything that could escape the output.
//!
//! The DAG may come from a stranger, so the whole tree is checked first (`check_tree`: the tree
//! limits, the name rule, unique names, sizes that agree), and names are checked again as they
//! are written. Directories are made with `create_dir` and files with `create_new`, both of
//! which fail on anything already there, a symlink included: a symlink this export has just
//! created is never written through.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use cid::Cid;
use ipfs_kit_unixfs::data::DataType;
use ipfs_kit_unixfs::reader::{DagReader, FileReader};
use ipfs_kit_unixfs::{BlockSource, ReadError, TreeLimits, check_tree};

use crate::error::BucketError;
use crate::names::check_entry_name;

/// Checks the tree at `cid` against `limits`, then exports it to `dest` (which must not
/// exist); returns the file bytes written.
pub fn export(source: &dyn BlockSource, cid: &Cid, dest: &Path, limits: &TreeLimits) -> Result<u64, BucketError> {
    check_tree(source, cid, limits)?;
    export_at(&DagReader::new(source), cid, dest)
}

fn export_at(dag: &DagReader<'_>, cid: &Cid, dest: &Path) -> Result<u64, BucketError> {
    match dag.kind(cid)? {
        DataType::Raw | DataType::File => {
            let mut file: File =
                OpenOptions::new().write(true).create_new(true).open(dest).map_err(BucketError::io(dest))?;
            let n = copy_verified(&mut dag.cat(cid)?, &mut file, dest)?;
            file.sync_all().map_err(BucketError::io(dest))?;
            Ok(n)
        }
        DataType::Directory | DataType::HamtShard => {
            let entries = dag.list(cid)?;
            if !unique_names(entries.iter().map(|e| e.name.as_str())) {
                return Err(BucketError::BadExport {
                    path: dest.display().to_string(),
                    reason: "a directory lists the same name twice",
                });
            }
            for entry in &entries {
                check_entry_name(&entry.name).map_err(|reason| BucketError::UnsafeOutput {
                    path: format!("{}/{}", dest.display(), ipfs_kit_unixfs::name::escape_controls(&entry.name)),
                    reason,
                })?;
            }
            std::fs::create_dir(dest).map_err(BucketError::io(dest))?;
            let mut total = 0;
            for entry in entries {
                total += export_at(dag, &entry.cid, &dest.join(&entry.name))?;
            }
            Ok(total)
        }
        DataType::Symlink => {
            let target = dag.read_link(cid)?;
            std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(&target), dest).map_err(BucketError::io(dest))?;
            Ok(0)
        }
        DataType::Metadata => Err(BucketError::BadExport {
            path: dest.display().to_string(),
            reason: "UnixFS metadata nodes are not supported",
        }),
    }
}

/// Copies a verified file stream to `out`, keeping a bad block (a `ReadError`) apart from a
/// failed write (an I/O error on `out_name`, which may be a closed pipe).
pub fn copy_verified(reader: &mut FileReader<'_>, out: &mut dyn Write, out_name: &Path) -> Result<u64, BucketError> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(match e.into_inner().map(|inner| inner.downcast::<ReadError>()) {
                    Some(Ok(read)) => BucketError::Read(*read),
                    Some(Err(other)) => {
                        BucketError::Io { path: "block store".into(), source: std::io::Error::other(other) }
                    }
                    None => {
                        BucketError::Io { path: "block store".into(), source: std::io::Error::other("read failed") }
                    }
                });
            }
        };
        out.write_all(&buf[..n]).map_err(BucketError::io(out_name))?;
        total += n as u64;
    }
}

/// Names in a directory listing must be unique for an export to be safe.
fn unique_names<'a>(names: impl Iterator<Item = &'a str>) -> bool {
    let mut seen = HashSet::new();
    names.into_iter().all(|n| seen.insert(n))
}
