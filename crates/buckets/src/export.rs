//! Writing a UnixFS DAG out to the filesystem, refusing anything that could escape the output.
//!
//! Names come from the DAG, which may come from a stranger, so each is checked (no `/`, `.`,
//! `..` or NUL) and must be unique in its directory. Directories are made with `create_dir` and
//! files with `create_new`, both of which fail on anything already there, a symlink included:
//! a symlink this export has just created is never written through.

use std::fs::{File, OpenOptions};
use std::path::Path;

use cid::Cid;
use ipfs_kit_unixfs::data::DataType;
use ipfs_kit_unixfs::reader::DagReader;

use crate::buckets::unique_names;
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
            let mut reader = dag.cat(cid)?;
            let n = std::io::copy(&mut reader, &mut file).map_err(BucketError::io(dest))?;
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
            let target = std::ffi::OsStr::from_encoded_bytes_unchecked_safe(&target);
            std::os::unix::fs::symlink(target, dest).map_err(BucketError::io(dest))?;
            Ok(0)
        }
        DataType::Metadata => Err(unsafe_output("UnixFS metadata nodes are not supported")),
    }
}

/// `OsStr` from raw bytes, which on Unix is any byte string.
trait FromBytes {
    fn from_encoded_bytes_unchecked_safe(bytes: &[u8]) -> &std::ffi::OsStr;
}

impl FromBytes for std::ffi::OsStr {
    fn from_encoded_bytes_unchecked_safe(bytes: &[u8]) -> &std::ffi::OsStr {
        std::os::unix::ffi::OsStrExt::from_bytes(bytes)
    }
}
