//! CAR files for buckets: `prepare-car` and `export-car` plans, and `car import`, which can
//! mount what it imported as a bucket or inside one.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use cid::Cid;
use ipfs_kit_car::{CarReader, Limits};
use ipfs_kit_ipld::codec::{DAG_PB, RAW, codec_name};
use ipfs_kit_unixfs::{BlockSink, DagReader, EntryKind, ReadError, TreeError, check_tree};

use crate::buckets::{Buckets, Change, ensure_dir_chain};
use crate::car_export::{CarPlan, plan};
use crate::car_file::StagedCars;
use crate::catalog::{self, EntryRow};
use crate::dag::{Marker, link_tsize, stat, tree_rows};
use crate::error::BucketError;
use crate::index::PathRange;
use crate::manifest;
use crate::names::{normalize_path, parent_of};
use crate::restore::RestoreFrom;

/// What a CAR holds.
#[derive(Debug, Clone, Copy)]
pub enum CarSubject<'a> {
    /// One bucket.
    Bucket(&'a str),
    /// The global snapshot: every bucket and its index in one directory.
    All,
}

/// The options of an export (or of a plan for one).
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportOptions<'a> {
    /// Export this snapshot's state instead of the working state.
    pub snapshot: Option<&'a str>,
    /// Leave out every block the given snapshot's DAG reaches.
    pub since: Option<&'a str>,
    pub shard_size: Option<u64>,
    pub v2: bool,
    /// Cut shards as Storacha's JS client does (see [`crate::car_shards`]); `shard_size`
    /// defaults to its 127 MiB.
    pub storacha: bool,
    /// Hash every block against its CID while writing.
    pub verify: bool,
    /// Compute each shard's CAR CID while writing (one more SHA-256 pass over the output).
    pub car_cid: bool,
}

/// Where `car import` mounts the CARs' root.
#[derive(Debug, Clone, Copy)]
pub struct Mount<'a> {
    pub bucket: &'a str,
    /// A path inside the bucket; `None` mounts the root as the whole bucket.
    pub at: Option<&'a str>,
    /// Replace what is at `at` already.
    pub replace: bool,
}

/// What `car import` did.
#[derive(Debug, Clone, Default)]
pub struct CarImportReport {
    pub roots: Vec<Cid>,
    pub blocks: u64,
    pub bytes: u64,
    pub new_blocks: u64,
    pub new_bytes: u64,
    /// The bucket and path the root was mounted at, when asked.
    pub mounted: Option<(String, String)>,
}

impl Buckets {
    /// The root a CAR of `subject` starts from, and a label for it.
    pub fn car_root(&self, subject: CarSubject<'_>, snapshot: Option<&str>) -> Result<(Cid, String), BucketError> {
        match (subject, snapshot) {
            (CarSubject::Bucket(name), None) => Ok((catalog::require_bucket(&self.db, name)?.root, name.to_owned())),
            (CarSubject::Bucket(name), Some(spec)) => {
                let record = self.find_snapshot(spec)?;
                let b = record.buckets.get(name).ok_or_else(|| BucketError::NotInSnapshot {
                    bucket: name.to_owned(),
                    snapshot: record.snapshot_id.clone(),
                })?;
                Ok((b.root(&record.snapshot_id)?, format!("{name} in {}", record.snapshot_id)))
            }
            (CarSubject::All, spec) => {
                let record = match spec {
                    Some(spec) => self.find_snapshot(spec)?,
                    None => manifest::list(&self.home)?.pop().ok_or_else(|| {
                        BucketError::NoSuchSnapshot("(none taken yet; run `ipfs-kit bucket snapshot`)".into())
                    })?,
                };
                Ok((record.global_cid()?, record.snapshot_id))
            }
        }
    }

    /// Plans an export: the blocks in order, their sizes and the shards.
    pub fn car_plan(&self, subject: CarSubject<'_>, options: &ExportOptions<'_>) -> Result<CarPlan, BucketError> {
        let (root, _) = self.car_root(subject, options.snapshot)?;
        let skip = match options.since {
            None => None,
            Some(since) => {
                let old = match subject {
                    CarSubject::All => Some(self.car_root(subject, Some(since))?.0),
                    CarSubject::Bucket(name) => {
                        let record = self.find_snapshot(since)?;
                        record.buckets.get(name).map(|b| b.root(&record.snapshot_id)).transpose()?
                    }
                };
                let mut marker = Marker::new(&self.store);
                if let Some(old) = old {
                    marker.mark(&old)?;
                }
                Some(marker.reached)
            }
        };
        let blocks = plan(&self.store, &root, skip.as_ref())?;
        if options.storacha {
            let size = options.shard_size.unwrap_or(crate::car_shards::STORACHA_SHARD_SIZE);
            return CarPlan::storacha(root, blocks, size);
        }
        CarPlan::new(root, blocks, options.shard_size, options.v2)
    }

    /// Imports every block of the CAR files (all or nothing: one commit), checking each
    /// against its CID. With `mount`, the CARs' one root is checked first (complete, within
    /// the tree limits, structurally sound) against the staged blocks and the store, so a
    /// refused DAG stores nothing; it then becomes the bucket (like `restore --from-cid`) or the
    /// entry at `mount.at` inside it.
    pub fn import_cars(&mut self, paths: &[PathBuf], mount: Option<Mount<'_>>) -> Result<CarImportReport, BucketError> {
        self.import_cars_with(paths, mount, false)
    }

    /// [`Buckets::import_cars`]; with `zero_length_as_eof`, a zero-length section ends a CAR
    /// (as in CARs Lotus wrote) instead of refusing it.
    ///
    /// Without `mount`, any DAG is stored whatever its codecs (DAG-CBOR included), every block
    /// checked against its CID; `gc` keeps it for as long as a bucket or snapshot reaches it,
    /// following DAG-CBOR and DAG-JSON links as well as dag-pb. A mount needs a UnixFS root.
    pub fn import_cars_with(
        &mut self,
        paths: &[PathBuf],
        mount: Option<Mount<'_>>,
        zero_length_as_eof: bool,
    ) -> Result<CarImportReport, BucketError> {
        if let Some(m) = &mount {
            crate::names::check_bucket_name(m.bucket)?;
            if let Some(at) = m.at {
                self.check_mount_target(m.bucket, at, m.replace)?;
            }
        }
        let _pin = self.pin()?;
        let mut report = CarImportReport::default();
        let mut writer = self.store.writer();
        let mut staged = StagedCars::new(&self.store);
        for path in paths {
            let bad = |source| BucketError::BadCar { path: path.clone(), error: source };
            let file = File::open(path).map_err(BucketError::io(path))?;
            if mount.is_some() {
                staged.add_file(file.try_clone().map_err(BucketError::io(path))?);
            }
            let mut reader = CarReader::new(BufReader::with_capacity(1 << 20, file), Limits::default())
                .map_err(bad)?
                .zero_length_as_eof(zero_length_as_eof);
            for root in reader.roots() {
                if !report.roots.contains(root) {
                    report.roots.push(*root);
                }
            }
            while let Some(block) = reader.next_block().map_err(bad)? {
                writer.put(&block.cid, &block.data).map_err(BucketError::Sink)?;
                if mount.is_some() {
                    staged.add_block(&block);
                }
                report.blocks += 1;
                report.bytes += block.data.len() as u64;
            }
        }
        let root = match &mount {
            None => None,
            Some(m) => {
                let root = match report.roots.as_slice() {
                    [root] => *root,
                    roots => {
                        return Err(BucketError::NotOneRoot {
                            what: "the CARs".into(),
                            count: roots.len(),
                            hint: "--bucket mounts exactly one",
                        });
                    }
                };
                if !matches!(root.codec(), DAG_PB | RAW) {
                    return Err(BucketError::NotUnixfs { root, codec: codec_name(root.codec()) });
                }
                check_tree(&staged, &root, &self.limits).map_err(|e| refused_import(&root, e))?;
                // Mounted at the root, the CAR is restored as `restore --from-cid` does: a
                // global snapshot mounts the bucket of that name from inside it. Whatever the
                // restore would refuse is refused now, before anything is stored (found by
                // fuzzing: a missing bucket, a bucket entry that is a raw block).
                if m.at.is_none() {
                    crate::restore::cid_target(&staged, m.bucket, &root, &self.limits)?;
                }
                Some(root)
            }
        };
        drop(staged);
        let stats = writer.commit()?;
        (report.new_blocks, report.new_bytes) = (stats.new_blocks, stats.new_bytes);
        let (Some(m), Some(root)) = (mount, root) else { return Ok(report) };
        match m.at {
            None => {
                self.restore(m.bucket, RestoreFrom::Cid(root))?;
                report.mounted = Some((m.bucket.to_owned(), "/".to_owned()));
            }
            Some(dir) => {
                let path = self.mount_at(m.bucket, dir, &root)?;
                report.mounted = Some((m.bucket.to_owned(), path));
            }
        }
        Ok(report)
    }

    /// Mounts a DAG already whole in the store (a pulled one) as `car import --bucket` mounts
    /// a CAR's root: checked first (UnixFS, within the tree limits, structurally sound), then
    /// made the bucket or the entry at `m.at`. Returns the bucket and path.
    pub fn mount_stored(&mut self, m: Mount<'_>, root: &Cid) -> Result<(String, String), BucketError> {
        crate::names::check_bucket_name(m.bucket)?;
        if let Some(at) = m.at {
            self.check_mount_target(m.bucket, at, m.replace)?;
        }
        if !matches!(root.codec(), DAG_PB | RAW) {
            return Err(BucketError::NotUnixfs { root: *root, codec: codec_name(root.codec()) });
        }
        let _pin = self.pin()?;
        check_tree(&self.store, root, &self.limits).map_err(|e| refused_import(root, e))?;
        match m.at {
            None => {
                crate::restore::cid_target(&self.store, m.bucket, root, &self.limits)?;
                self.restore(m.bucket, RestoreFrom::Cid(*root))?;
                Ok((m.bucket.to_owned(), "/".to_owned()))
            }
            Some(dir) => Ok((m.bucket.to_owned(), self.mount_at(m.bucket, dir, root)?)),
        }
    }

    /// `--to PATH` must name a new entry unless the caller said `--replace`, as `get` and
    /// `unpack` never overwrite either. Public so a pull can refuse before it fetches.
    pub fn check_mount_target(&self, bucket: &str, at: &str, replace: bool) -> Result<(), BucketError> {
        let path = normalize_path(at)?;
        if path.is_empty() {
            return Err(BucketError::BadPath { path, reason: "use --bucket without --to to mount at the root" });
        }
        if !replace
            && catalog::bucket(&self.db, bucket)?.is_some()
            && catalog::entry(&self.db, bucket, &path)?.is_some()
        {
            return Err(BucketError::PathExistsReplace { bucket: bucket.to_owned(), path });
        }
        Ok(())
    }

    /// Puts the DAG at `root` (a file, directory or symlink) at `path` inside a bucket, creating
    /// the bucket and missing parent directories; whatever was at `path` is replaced.
    fn mount_at(&mut self, name: &str, path: &str, root: &Cid) -> Result<String, BucketError> {
        let path = normalize_path(path)?;
        if path.is_empty() {
            return Err(BucketError::BadPath { path, reason: "use --bucket without --to to mount at the root" });
        }
        if catalog::bucket(&self.db, name)?.is_none() {
            self.create(name, "unixfs-v1-2025")?;
        }
        let own_tsize = link_tsize(&self.store, root)?;
        let (kind, size) = stat(&DagReader::new(&self.store), root, own_tsize)?;
        let now = crate::time::now_rfc3339();
        let mut rows = Vec::new();
        if kind == EntryKind::Directory {
            rows = tree_rows(&self.store, root, &std::collections::HashMap::new(), &now, 0)?;
        }
        let own = EntryRow {
            path: path.clone(),
            kind,
            cid: *root,
            size,
            tsize: own_tsize,
            mtime: 0,
            mode: if kind == EntryKind::Directory { 0o755 } else { 0o644 },
            content_hash: None,
            added_at: now.clone(),
            version: 0,
            access_count: 0,
            last_accessed: None,
            object: None,
        };
        let target = path.clone();
        self.apply(name, move |db, version, now| {
            ensure_dir_chain(db, name, parent_of(&target), version, now)?;
            catalog::delete_subtree(db, name, &target)?;
            for row in std::iter::once(own).chain(rows) {
                let path = if row.path == target { row.path } else { format!("{target}/{}", row.path) };
                catalog::insert_entry(db, name, &EntryRow { path, version, added_at: now.to_owned(), ..row })?;
            }
            Ok(Change { dirs: vec![parent_of(&target).to_owned()], rows: vec![PathRange::subtree(&target)] })
        })?;
        Ok(path)
    }
}

/// The shard file names for `-o FILE` when an export has `n` shards: FILE itself for one,
/// else `<stem>-0001.<ext>` and on.
pub fn shard_paths(out: &Path, n: usize) -> Vec<PathBuf> {
    if n == 1 {
        return vec![out.to_owned()];
    }
    let stem = out.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "export".into());
    let ext = out.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_else(|| "car".into());
    (1..=n).map(|i| out.with_file_name(format!("{stem}-{i:04}.{ext}"))).collect()
}

/// A refused import says that nothing was stored.
fn refused_import(root: &Cid, err: TreeError) -> BucketError {
    match err {
        TreeError::Read(ReadError::MissingBlock { cid }) => BucketError::Incomplete(format!(
            "the DAG under {root} is incomplete: block {cid} is in none of the CARs nor the store; import the CARs \
             that hold the rest together with this one (nothing was imported)"
        )),
        other => BucketError::Refused(other),
    }
}
