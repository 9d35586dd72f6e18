//! `ipfs_kit._native`: the Rust half of the `ipfs-kit` Python package.
//!
//! The Python layer (`python/ipfs_kit`) gives the API its shape: classes, dataclasses,
//! docstrings. This module does the work over the same crates as the CLI, and returns plain
//! values (strings, ints, tuples, dicts) for that layer to wrap. Every call that touches the
//! disk or the network runs with the GIL released (`Python::detach`), so Python threads work
//! in parallel; each call opens the home afresh, as each CLI command does, so nothing is held
//! between calls and the CLI's writer lock rules apply unchanged.

mod errors;
mod hash;
mod history;
mod home;
mod reader;
mod rows;
mod transfer;
mod verify;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("IpfsKitError", py.get_type::<errors::IpfsKitError>())?;
    m.add("NotFound", py.get_type::<errors::NotFound>())?;
    m.add("Locked", py.get_type::<errors::Locked>())?;
    m.add("Corrupt", py.get_type::<errors::Corrupt>())?;
    m.add("InvalidInput", py.get_type::<errors::InvalidInput>())?;
    m.add_function(wrap_pyfunction!(hash::hash, m)?)?;
    m.add_function(wrap_pyfunction!(verify::verify_car, m)?)?;
    m.add_class::<home::Home>()?;
    m.add_class::<reader::Reader>()?;
    Ok(())
}
