//! Writing a UnixFS DAG out to the filesystem, refusing anything that could escape the output.
//!
//! Names come from the DAG, which may come from a stranger, so each is checked (no `/`, `.`,
//! `..` or NUL) and must be unique in its directory. Directories are made with `create_dir` and
//! files with `create_new`, both of which fail on anything already there, a symlink included:
//! a symlink this export has just created is never written through.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use cid::Cid;
use ipfs_kit_unixfs::ReadError;
use ipfs_kit_unixfs::data::DataType;
use ipfs_kit_unixfs::reader::{DagReader, FileReader};

use crate::error::BucketError;
use crate::names::check_entry_name;

/// How deep a directory tree may go before it is treated as hostile.
const MAX_DEPTH: usize = 1024;

/// Exports the node at `cid` to `dest` (which must not exist); returns the file bytes written.
pub fn export(dag: &DagReader<'_>, cid: &Cid, dest: &Path) -> Result<u64, BucketError> {
    export_at(dag, cid, dest, 0)
}

fn export_at(dag: &DagReader<'_>, cid: &Cid, dest: &Path, depth: usize) -> Result<u64, BucketError> {
    let unsafe_output = |reason| BucketError::UnsafeOutput { path: dest.display().to_string(), reason };
    if depth > MAX_DEPTH {
        return Err(unsafe_output("directories nested too deep"));
    }
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
                return Err(unsafe_output("a directory lists the same name twice"));
            }
            for entry in &entries {
                check_entry_name(&entry.name).map_err(|reason| BucketError::UnsafeOutput {
                    path: format!("{}/{}", dest.display(), entry.name),
                    reason,
                })?;
            }
            std::fs::create_dir(dest).map_err(BucketError::io(dest))?;
            let mut total = 0;
            for entry in entries {
                total += export_at(dag, &entry.cid, &dest.join(&entry.name), depth + 1)?;
            }
            Ok(total)
        }
        DataType::Symlink => {
            let target = dag.read_link(cid)?;
            std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(&target), dest).map_err(BucketError::io(dest))?;
            Ok(0)
        }
        DataType::Metadata => Err(unsafe_output("UnixFS metadata nodes are not supported")),
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
