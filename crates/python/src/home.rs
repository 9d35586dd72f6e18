//! `_native.Home`: one ipfs-kit home, opened afresh by each call (as each CLI command opens
//! it), so an object can be shared between threads and holds nothing between calls.

use std::path::PathBuf;
use std::time::Duration;

use ipfs_kit_buckets::Buckets;
use ipfs_kit_unixfs::{EntryKind, Quiet};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::errors::{Error, invalid, to_py};
use crate::reader::Reader;
use crate::rows::{self, EntryTuple, InfoTuple};

#[pyclass(frozen, module = "ipfs_kit._native")]
pub struct Home {
    pub(crate) home: ipfs_kit_buckets::Home,
    /// How long a write waits for another writer's lock before `Locked`.
    lock_wait: Duration,
}

impl Home {
    /// Opens the home for a call that writes (creating it if needed), repairing an index or
    /// manifest a crash left stale, as the CLI's writing commands do.
    pub(crate) fn write(&self, command: &str) -> Result<Buckets, Error> {
        let buckets = self.configured(Buckets::open(self.home.clone())?, command);
        repaired(buckets)
    }

    /// Opens an existing home for a call that only reads; nothing is repaired or locked.
    pub(crate) fn read(&self, command: &str) -> Result<Buckets, Error> {
        Ok(self.configured(Buckets::open_existing(self.home.clone())?, command))
    }

    /// `read`, with the repairs `write` does where the home can be written.
    pub(crate) fn read_repaired(&self, command: &str) -> Result<Buckets, Error> {
        repaired(self.read(command)?)
    }

    fn configured(&self, mut buckets: Buckets, command: &str) -> Buckets {
        buckets.set_lock_policy(self.lock_wait, command, Box::new(|_| {}));
        buckets
    }
}

fn repaired(mut buckets: Buckets) -> Result<Buckets, Error> {
    buckets.repair_indexes()?;
    buckets.repair_manifest()?;
    Ok(buckets)
}

/// Runs `f` with the GIL released, and turns its error into the matching exception.
pub(crate) fn detached<T: Send>(py: Python<'_>, f: impl FnOnce() -> Result<T, Error> + Send) -> PyResult<T> {
    py.detach(f).map_err(to_py)
}

#[pymethods]
impl Home {
    #[new]
    #[pyo3(signature = (path = None, lock_timeout = 10.0))]
    fn new(path: Option<PathBuf>, lock_timeout: f64) -> PyResult<Self> {
        if !(lock_timeout.is_finite() && lock_timeout >= 0.0) {
            return Err(to_py(invalid(format!("lock_timeout must be a number of seconds >= 0, not {lock_timeout}"))));
        }
        let home = ipfs_kit_buckets::Home::resolve(path.as_deref()).map_err(|e| to_py(e.into()))?;
        Ok(Home { home, lock_wait: Duration::from_secs_f64(lock_timeout) })
    }

    #[getter]
    fn path(&self) -> String {
        self.home.root().display().to_string()
    }

    fn buckets(&self, py: Python<'_>) -> PyResult<Vec<InfoTuple>> {
        detached(py, || Ok(self.read_repaired("ipfs_kit Home.buckets")?.list()?.into_iter().map(rows::info).collect()))
    }

    fn info(&self, py: Python<'_>, name: &str) -> PyResult<InfoTuple> {
        detached(py, || Ok(rows::info(self.read_repaired("ipfs_kit Bucket.info")?.info(name)?)))
    }

    fn create(&self, py: Python<'_>, name: &str, profile: &str) -> PyResult<()> {
        detached(py, || {
            self.write("ipfs_kit Home.create_bucket")?.create(name, profile)?;
            Ok(())
        })
    }

    fn remove(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        detached(py, || Ok(self.write("ipfs_kit Home.remove_bucket")?.rm(name)?))
    }

    fn add<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        paths: Vec<PathBuf>,
        to: Option<String>,
        hidden: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        if paths.is_empty() {
            return Err(to_py(invalid("nothing to add: give a file or folder")));
        }
        let report = detached(py, || {
            let mut buckets = self.write("ipfs_kit Bucket.add")?;
            Ok(buckets.add(name, &paths, to.as_deref().unwrap_or(""), hidden, &mut Quiet)?)
        })?;
        let d = PyDict::new(py);
        d.set_item("root", report.bucket.root.to_string())?;
        let added: Vec<(String, String)> = report.added.iter().map(|(p, c)| (p.clone(), c.to_string())).collect();
        d.set_item("added", added)?;
        d.set_item("files", report.files)?;
        d.set_item("bytes", report.bytes)?;
        d.set_item("new_blocks", report.new_blocks)?;
        Ok(d)
    }

    /// Up to `limit` entries under `prefix` whose paths sort after `after` ("": from the start).
    fn files(&self, py: Python<'_>, name: &str, prefix: &str, after: &str, limit: u64) -> PyResult<Vec<EntryTuple>> {
        detached(py, || {
            let buckets = self.read("ipfs_kit Bucket.files")?;
            let rows = if after.is_empty() {
                buckets.files(name, prefix, Some(limit))?
            } else {
                buckets.files_after(name, prefix, after, limit)?
            };
            Ok(rows.into_iter().map(rows::entry).collect())
        })
    }

    fn entry(&self, py: Python<'_>, name: &str, path: &str) -> PyResult<EntryTuple> {
        detached(py, || Ok(rows::entry(self.read("ipfs_kit Bucket.stat")?.entry(name, path)?)))
    }

    fn cat<'py>(&self, py: Python<'py>, name: &str, path: &str) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = detached(py, || {
            let mut buckets = self.read("ipfs_kit Bucket.cat")?;
            let entry = buckets.entry(name, path)?;
            if entry.kind != EntryKind::File {
                return Err(invalid(format!("{:?} in bucket {name:?} is not a file", entry.path)));
            }
            let mut out = Vec::with_capacity(usize::try_from(entry.size).unwrap_or(0).min(1 << 30));
            buckets.cat(name, path, &mut out)?;
            Ok(out)
        })?;
        Ok(PyBytes::new(py, &bytes))
    }

    fn get(&self, py: Python<'_>, name: &str, path: &str, out: PathBuf) -> PyResult<u64> {
        detached(py, || Ok(self.read("ipfs_kit Bucket.get")?.get(name, path, &out)?))
    }

    fn open(&self, py: Python<'_>, name: &str, path: &str) -> PyResult<Reader> {
        detached(py, || Reader::open(self, name, path))
    }

    fn rm(&self, py: Python<'_>, name: &str, path: &str, recursive: bool) -> PyResult<String> {
        detached(py, || Ok(self.write("ipfs_kit Bucket.rm")?.rm_file(name, path, recursive)?.root.to_string()))
    }

    fn mv(&self, py: Python<'_>, name: &str, from: &str, to: &str) -> PyResult<String> {
        detached(py, || Ok(self.write("ipfs_kit Bucket.mv")?.mv(name, from, to)?.root.to_string()))
    }

    fn find_cid(&self, py: Python<'_>, cid: &str) -> PyResult<Vec<(String, String, &'static str)>> {
        let cid = crate::verify::parse_cid(cid).map_err(to_py)?;
        detached(py, || {
            let found = self.read_repaired("ipfs_kit Home.find_cid")?.find_cid(&cid)?;
            Ok(found.into_iter().map(|f| (f.bucket, f.path, f.kind.as_str())).collect())
        })
    }

    /// The bucket's Parquet index, rewritten first if it is behind the catalog.
    fn index_path(&self, py: Python<'_>, name: &str) -> PyResult<String> {
        detached(py, || {
            let buckets = self.read_repaired("ipfs_kit Bucket.index_path")?;
            buckets.info(name)?;
            Ok(buckets.home().index_path(name).display().to_string())
        })
    }

    fn snapshot<'py>(
        &self,
        py: Python<'py>,
        names: Vec<String>,
        message: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let outcome =
            detached(py, || Ok(self.write("ipfs_kit Home.snapshot")?.snapshot(&names, message.as_deref())?))?;
        rows::snapshot(py, &outcome.record, outcome.created)
    }

    fn snapshots<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let records = detached(py, || Ok(self.read_repaired("ipfs_kit Home.snapshots")?.snapshots()?))?;
        records.iter().map(|r| rows::snapshot(py, r, true)).collect()
    }

    fn log<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        crate::history::log(self, py, name)
    }

    #[pyo3(signature = (name, from = None, to = None))]
    fn diff<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        from: Option<String>,
        to: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        crate::history::diff(self, py, name, from, to)
    }

    #[pyo3(signature = (name, snapshot = None, cid = None))]
    fn restore<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        snapshot: Option<String>,
        cid: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        crate::history::restore(self, py, name, snapshot, cid)
    }

    #[allow(clippy::too_many_arguments)]
    fn export_car<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        out: PathBuf,
        snapshot: Option<String>,
        since: Option<String>,
        shard_size: Option<u64>,
        v2: bool,
        verify: bool,
        car_cid: bool,
        force: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let options = crate::transfer::Export { snapshot, since, shard_size, v2, verify, car_cid, force };
        crate::transfer::export_car(self, py, name, &out, &options)
    }

    fn import_car<'py>(
        &self,
        py: Python<'py>,
        paths: Vec<PathBuf>,
        bucket: Option<String>,
        to: Option<String>,
        replace: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        crate::transfer::import_car(self, py, &paths, bucket.as_deref(), to.as_deref(), replace)
    }

    #[allow(clippy::too_many_arguments)]
    fn push<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        remote: &str,
        snapshot: Option<String>,
        since: Option<String>,
        verify: bool,
        retries: u32,
        timeout: f64,
        pin_name: Option<String>,
        pin_timeout: f64,
        shard_size: Option<u64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let options =
            crate::transfer::Push { snapshot, since, verify, retries, timeout, pin_name, pin_timeout, shard_size };
        crate::transfer::push(self, py, name, remote, &options)
    }

    #[allow(clippy::too_many_arguments)]
    fn pull<'py>(
        &self,
        py: Python<'py>,
        cid: &str,
        remote: &str,
        bucket: Option<String>,
        to: Option<String>,
        replace: bool,
        retries: u32,
        timeout: f64,
    ) -> PyResult<Bound<'py, PyDict>> {
        crate::transfer::pull(self, py, cid, remote, bucket.as_deref(), to.as_deref(), replace, retries, timeout)
    }
}
