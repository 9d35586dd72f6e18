//! `ipfs_kit.hash`: the root CID of a path, storing nothing (`ipfs-kit hash`).

use std::path::PathBuf;

use ipfs_kit_unixfs::{ImportOptions, NullSink, Profile, import_path};
use pyo3::prelude::*;

use crate::errors::{Error, to_py};

/// The CID of `path` under `profile`, as `ipfs-kit hash --profile PROFILE [--hidden] PATH`
/// prints it. The GIL is released while the bytes are hashed.
#[pyfunction]
#[pyo3(signature = (path, profile = "unixfs-v1-2025", hidden = false))]
pub fn hash(py: Python<'_>, path: PathBuf, profile: &str, hidden: bool) -> PyResult<String> {
    let profile = profile.to_owned();
    py.detach(move || -> Result<String, Error> {
        let profile = Profile::named(&profile)?;
        let options = ImportOptions { hidden, ..ImportOptions::default() };
        let imported = import_path(&path, &profile, &options, &mut NullSink)?;
        Ok(imported.node.cid.to_string())
    })
    .map_err(to_py)
}
