//! A bucket's history from Python: `log`, `diff` and `restore` over the snapshot manifest.

use ipfs_kit_buckets::restore::RestoreFrom;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::errors::{Error, not_found};
use crate::home::{Home, detached};
use crate::verify::parse_cid;

/// The bucket's versions, newest first: `[{snapshot, version, root, files, bytes, at}]`.
pub fn log<'py>(home: &Home, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    let entries = detached(py, || Ok(home.read_repaired("ipfs_kit Bucket.log")?.log(name)?))?;
    let list = PyList::empty(py);
    for e in entries {
        let d = PyDict::new(py);
        d.set_item("snapshot", e.snapshot.as_ref().map(|s| s.snapshot_id.clone()))?;
        d.set_item("version", e.version)?;
        d.set_item("root", crate::rows::canonical(&e.root))?;
        d.set_item("files", e.files)?;
        d.set_item("bytes", e.bytes)?;
        d.set_item("at", e.at)?;
        list.append(d)?;
    }
    Ok(list.into_any())
}

/// `{from, to, changes: [(path, change, type, old, new)]}`, as `bucket diff` computes it.
pub fn diff<'py>(
    home: &Home,
    py: Python<'py>,
    name: &str,
    from: Option<String>,
    to: Option<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let report =
        detached(py, || Ok(home.read_repaired("ipfs_kit Bucket.diff")?.diff(name, from.as_deref(), to.as_deref())?))?;
    let d = PyDict::new(py);
    d.set_item("from", &report.from.label)?;
    d.set_item("to", &report.to.label)?;
    let changes: Vec<_> = report
        .entries
        .iter()
        .map(|e| {
            (
                e.path.clone(),
                e.change.as_str(),
                e.kind.as_str(),
                e.old.map(|c| c.to_string()),
                e.new.map(|c| c.to_string()),
            )
        })
        .collect();
    d.set_item("changes", changes)?;
    Ok(d)
}

/// Restores from `snapshot`, from the directory `cid`, or (neither given) from the latest
/// snapshot that holds the bucket.
pub fn restore<'py>(
    home: &Home,
    py: Python<'py>,
    name: &str,
    snapshot: Option<String>,
    cid: Option<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let report = detached(py, || -> Result<_, Error> {
        let mut buckets = home.write("ipfs_kit Bucket.restore")?;
        let cid = cid.as_deref().map(parse_cid).transpose()?;
        let latest;
        let from = match (&snapshot, cid) {
            (Some(id), _) => RestoreFrom::Snapshot(id),
            (None, Some(cid)) => RestoreFrom::Cid(cid),
            (None, None) => {
                let records = buckets.snapshots()?;
                let Some(record) = records.iter().rev().find(|r| r.buckets.contains_key(name)) else {
                    return Err(not_found(format!(
                        "no snapshot holds bucket {name:?} (see `ipfs-kit bucket snapshots`)"
                    )));
                };
                latest = record.snapshot_id.clone();
                RestoreFrom::Snapshot(&latest)
            }
        };
        Ok(buckets.restore(name, from)?)
    })?;
    let d = PyDict::new(py);
    d.set_item("root", report.bucket.root.to_string())?;
    d.set_item("files", report.files)?;
    d.set_item("from", report.from)?;
    Ok(d)
}
