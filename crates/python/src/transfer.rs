//! CARs and remotes from Python: `export_car`, `import_car`, `push` and `pull`, over the same
//! library calls as the CLI (`CarPlan::write_files`, `Buckets::import_cars`,
//! `ipfs_kit_transfer`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use ipfs_kit_buckets::car::{CarSubject, ExportOptions, Mount};
use ipfs_kit_transfer::{PullRequest, PushRequest, Silent};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{Error, invalid};
use crate::home::{Home, detached};
use crate::verify::parse_cid;

/// `Bucket.export_car`'s options.
pub struct Export {
    pub snapshot: Option<String>,
    pub since: Option<String>,
    pub shard_size: Option<u64>,
    pub v2: bool,
    pub verify: bool,
    /// Also compute each file's own CID (`bagbaiera…`: SHA-256 of the whole CAR); it costs a
    /// second hash of every byte, so it is asked for, not default.
    pub car_cid: bool,
    pub force: bool,
}

pub fn export_car<'py>(
    home: &Home,
    py: Python<'py>,
    name: &str,
    out: &Path,
    o: &Export,
) -> PyResult<Bound<'py, PyDict>> {
    let (plan, files) = detached(py, || {
        let buckets = home.read_repaired("ipfs_kit Bucket.export_car")?;
        let options = ExportOptions {
            snapshot: o.snapshot.as_deref(),
            since: o.since.as_deref(),
            shard_size: o.shard_size,
            v2: o.v2,
            verify: o.verify,
            car_cid: o.car_cid,
            ..ExportOptions::default()
        };
        let plan = buckets.car_plan(CarSubject::Bucket(name), &options)?;
        let files = plan.write_files(buckets.store(), out, o.verify, o.car_cid, o.force)?;
        Ok((plan, files))
    })?;
    let d = PyDict::new(py);
    d.set_item("root", plan.root.to_string())?;
    d.set_item("blocks", plan.blocks.len())?;
    d.set_item("block_bytes", plan.block_bytes)?;
    let shards: Vec<_> = files
        .iter()
        .zip(&plan.shards)
        .map(|((path, cid), s)| (path.display().to_string(), s.count, s.bytes, cid.map(|c| c.to_string())))
        .collect();
    d.set_item("shards", shards)?;
    Ok(d)
}

pub fn import_car<'py>(
    home: &Home,
    py: Python<'py>,
    paths: &[PathBuf],
    bucket: Option<&str>,
    at: Option<&str>,
    replace: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let report = detached(py, || -> Result<_, Error> {
        if paths.is_empty() {
            return Err(invalid("no CAR to import"));
        }
        let mount = mount(bucket, at, replace)?;
        Ok(home.write("ipfs_kit Home.import_car")?.import_cars(paths, mount)?)
    })?;
    let d = PyDict::new(py);
    d.set_item("roots", report.roots.iter().map(|c| c.to_string()).collect::<Vec<_>>())?;
    d.set_item("blocks", report.blocks)?;
    d.set_item("bytes", report.bytes)?;
    d.set_item("new_blocks", report.new_blocks)?;
    d.set_item("new_bytes", report.new_bytes)?;
    d.set_item("bucket", report.mounted.as_ref().map(|m| m.0.clone()))?;
    d.set_item("path", report.mounted.as_ref().map(|m| m.1.clone()))?;
    Ok(d)
}

/// `Bucket.push`'s options.
pub struct Push {
    pub snapshot: Option<String>,
    pub since: Option<String>,
    pub verify: bool,
    pub retries: u32,
    pub timeout: f64,
    pub pin_name: Option<String>,
    pub pin_timeout: f64,
    pub shard_size: Option<u64>,
}

/// The CLI's bound on `--retries`.
fn check_retries(retries: u32) -> Result<(), Error> {
    if !(1..=20).contains(&retries) {
        return Err(invalid(format!("retries must be 1 to 20, not {retries}")));
    }
    Ok(())
}

/// Where `import_car` and `pull` mount the root: `to` only means something inside a bucket.
fn mount<'a>(bucket: Option<&'a str>, at: Option<&'a str>, replace: bool) -> Result<Option<Mount<'a>>, Error> {
    if at.is_some() && bucket.is_none() {
        return Err(invalid("`to` places the root inside a bucket: give the bucket too"));
    }
    Ok(bucket.map(|bucket| Mount { bucket, at, replace }))
}

fn seconds(what: &str, s: f64) -> Result<Duration, Error> {
    Duration::try_from_secs_f64(s).map_err(|_| invalid(format!("{what} must be a number of seconds >= 0, not {s}")))
}

pub fn push<'py>(home: &Home, py: Python<'py>, name: &str, remote: &str, o: &Push) -> PyResult<Bound<'py, PyDict>> {
    let pushed = detached(py, || -> Result<_, Error> {
        check_retries(o.retries)?;
        let request = PushRequest {
            bucket: Some(name),
            remote,
            snapshot: o.snapshot.as_deref(),
            since: o.since.as_deref(),
            verify: o.verify,
            retries: o.retries,
            timeout: seconds("timeout", o.timeout)?,
            pin_name: o.pin_name.as_deref(),
            pin_timeout: seconds("pin_timeout", o.pin_timeout)?,
            shard_size: o.shard_size,
        };
        let buckets = home.read_repaired("ipfs_kit Bucket.push")?;
        Ok(ipfs_kit_transfer::push(&buckets, &request, &mut Silent)?)
    })?;
    let d = PyDict::new(py);
    d.set_item("bucket", &pushed.bucket)?;
    d.set_item("snapshot", &pushed.snapshot)?;
    d.set_item("root", pushed.root.to_string())?;
    d.set_item("remote", &pushed.remote)?;
    d.set_item("kind", pushed.kind)?;
    d.set_item("status", &pushed.confirmation.status)?;
    d.set_item("seen", &pushed.confirmation.seen)?;
    d.set_item("request_id", &pushed.confirmation.request_id)?;
    d.set_item("blocks", pushed.sent.as_ref().map(|s| s.blocks))?;
    d.set_item("block_bytes", pushed.sent.as_ref().map(|s| s.block_bytes))?;
    d.set_item("shards", pushed.storacha.as_ref().map(|s| s.upload.shards.clone()))?;
    Ok(d)
}

#[allow(clippy::too_many_arguments)]
pub fn pull<'py>(
    home: &Home,
    py: Python<'py>,
    cid: &str,
    from: &str,
    bucket: Option<&str>,
    at: Option<&str>,
    replace: bool,
    retries: u32,
    timeout: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let root = parse_cid(cid).map_err(crate::errors::to_py)?;
    let pulled = detached(py, || -> Result<_, Error> {
        check_retries(retries)?;
        let request = PullRequest {
            root,
            from,
            mount: mount(bucket, at, replace)?,
            retries,
            timeout: seconds("timeout", timeout)?,
        };
        let mut buckets = home.write("ipfs_kit Home.pull")?;
        Ok(ipfs_kit_transfer::pull(&mut buckets, &request, &mut Silent)?)
    })?;
    let r = &pulled.report;
    let d = PyDict::new(py);
    d.set_item("root", root.to_string())?;
    d.set_item("had_all", r.had_all)?;
    d.set_item("blocks", r.blocks)?;
    d.set_item("bytes", r.bytes)?;
    d.set_item("new_blocks", r.new_blocks)?;
    d.set_item("bucket", pulled.mounted.as_ref().map(|m| m.0.clone()))?;
    d.set_item("path", pulled.mounted.as_ref().map(|m| m.1.clone()))?;
    Ok(d)
}
