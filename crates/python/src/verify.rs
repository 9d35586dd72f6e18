//! `ipfs_kit.car.verify` (`ipfs-kit car verify`), and parsing CIDs typed by a user.

use std::path::PathBuf;

use cid::Cid;
use ipfs_kit_buckets::car_file::IndexedCar;
use ipfs_kit_unixfs::TreeLimits;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{Error, invalid};
use crate::home::detached;

/// Checks every block of the CAR at `path` against its CID, and walks the DAG under each root.
/// A CAR that is well formed but incomplete is reported, not raised; a fault (no root, a root
/// not in it, a UnixFS tree that breaks the rules) raises `InvalidInput`.
#[pyfunction]
pub fn verify_car<'py>(py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyDict>> {
    let (car, verdict) = detached(py, || {
        let car = IndexedCar::open(&path)?;
        let verdict = car.verdict(&TreeLimits::default())?;
        if let Some(fault) = verdict.faults.first() {
            return Err(invalid(format!("{}: {fault}", path.display())));
        }
        Ok((car, verdict))
    })?;
    let d = PyDict::new(py);
    d.set_item("version", if matches!(car.version, ipfs_kit_car::CarVersion::V1) { 1 } else { 2 })?;
    d.set_item("roots", car.roots.iter().map(Cid::to_string).collect::<Vec<_>>())?;
    d.set_item("blocks", car.blocks)?;
    d.set_item("block_bytes", car.block_bytes)?;
    d.set_item("complete", verdict.is_complete())?;
    d.set_item("missing_blocks", verdict.missing.len())?;
    d.set_item("unread_links", verdict.opaque.len())?;
    Ok(d)
}

/// A CID in any multibase, or a bare `Qm…` CIDv0.
pub fn parse_cid(text: &str) -> Result<Cid, Error> {
    Cid::try_from(text.trim()).map_err(|e| invalid(format!("invalid CID {text:?}: {e}")))
}
