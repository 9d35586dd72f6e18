//! Rows as the plain Python values the Python layer wraps in its dataclasses.

use ipfs_kit_buckets::manifest::SnapshotRecord;
use ipfs_kit_buckets::{BucketSummary, EntryRow};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// `FileEntry(*t)`: path, type, cid, size, dag_size, mtime, mode, content_hash, added_at, version.
pub type EntryTuple = (String, &'static str, String, u64, u64, i64, u32, Option<String>, String, i64);

pub fn entry(e: EntryRow) -> EntryTuple {
    let hash = e.content_hash.map(|h| ipfs_kit_buckets::index::hex(&h, ""));
    (e.path, e.kind.as_str(), e.cid.to_string(), e.size, e.tsize, e.mtime, e.mode, hash, e.added_at, e.version)
}

/// `BucketInfo(*t)`: name, root, profile, version, files, total_size, dag_size, created_at,
/// updated_at.
pub type InfoTuple = (String, String, String, i64, u64, u64, u64, String, String);

pub fn info(s: BucketSummary) -> InfoTuple {
    let r = s.row;
    (r.name, r.root.to_string(), r.profile, r.version, s.files, s.bytes, r.root_tsize, r.created_at, r.updated_at)
}

/// A CID in the form every other value of the API uses (`bafy…` for CIDv1, `Qm…` for CIDv0):
/// the manifest keeps the earlier design's base58btc (`zdj7W…`), which would compare unequal
/// to `Bucket.root` for the same CID. Text that is not a CID is passed through.
pub fn canonical(text: &str) -> String {
    cid::Cid::try_from(text).map_or_else(|_| text.to_owned(), |c| c.to_string())
}

/// `Snapshot(**d)`.
pub fn snapshot<'py>(py: Python<'py>, r: &SnapshotRecord, created: bool) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("id", &r.snapshot_id)?;
    d.set_item("sequence", r.sequence)?;
    d.set_item("created_at", &r.created_at)?;
    d.set_item("message", &r.message)?;
    d.set_item("global_hash", canonical(&r.global_hash))?;
    d.set_item("parent", &r.parent)?;
    d.set_item("total_files", r.total_files)?;
    d.set_item("total_size", r.total_size_bytes)?;
    let buckets = PyDict::new(py);
    for (name, b) in &r.buckets {
        buckets.set_item(name, canonical(&b.content_hash))?;
    }
    d.set_item("buckets", buckets)?;
    d.set_item("created", created)?;
    Ok(d)
}
