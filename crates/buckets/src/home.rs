//! Where an ipfs-kit home keeps things.
//!
//! ```text
//! <home>/                      ~/.ipfs_kit by default, or --home / IPFS_KIT_HOME
//!   vfs/buckets/<bucket>_vfs.parquet   per-bucket Parquet index (a derived view)
//!   vfs/bucket_manifest.json           global manifest (snapshots)
//!   vfs/snapshots/                     snapshot files
//!   catalog.sqlite                     buckets and their entries: the source of truth
//!   access.sqlite                      read counts (`bucket cat`/`get`), kept apart from history
//!   store/                             the block store (packs + block index)
//!   lock                               the writer lock
//! ```

use std::path::{Path, PathBuf};

use crate::error::BucketError;

/// The paths of one home.
#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Home { root: root.into() }
    }

    /// `--home`, else `IPFS_KIT_HOME`, else `~/.ipfs_kit`. With none of them (no `HOME`) there
    /// is no home: guessing one (the current folder, say) would show an empty home as if every
    /// bucket were gone.
    pub fn resolve(flag: Option<&Path>) -> Result<Self, BucketError> {
        if let Some(dir) = flag.filter(|d| !d.as_os_str().is_empty()) {
            return Ok(Home::new(dir));
        }
        if let Some(dir) = std::env::var_os("IPFS_KIT_HOME").filter(|d| !d.is_empty()) {
            return Ok(Home::new(PathBuf::from(dir)));
        }
        let home = std::env::var_os("HOME").filter(|d| !d.is_empty()).ok_or(BucketError::HomeUnset)?;
        Ok(Home::new(PathBuf::from(home).join(".ipfs_kit")))
    }

    /// Whether a home was made here: its catalog, block index or `vfs/` is there. (Not the
    /// catalog alone: moving a damaged catalog aside, as `check` advises, leaves a home whose
    /// snapshots can still be listed and restored.)
    pub fn exists(&self) -> bool {
        [self.catalog_path(), self.store_dir().join("blocks.sqlite"), self.vfs_dir()].iter().any(|p| p.exists())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn vfs_dir(&self) -> PathBuf {
        self.root.join("vfs")
    }

    pub fn index_dir(&self) -> PathBuf {
        self.vfs_dir().join("buckets")
    }

    /// The Parquet index of `bucket`.
    pub fn index_path(&self, bucket: &str) -> PathBuf {
        self.index_dir().join(format!("{bucket}_vfs.parquet"))
    }

    pub fn catalog_path(&self) -> PathBuf {
        self.root.join("catalog.sqlite")
    }

    /// The read statistics (`access.rs`).
    pub fn access_path(&self) -> PathBuf {
        self.root.join("access.sqlite")
    }

    pub fn store_dir(&self) -> PathBuf {
        self.root.join("store")
    }

    /// The global manifest: a copy of the latest snapshot record.
    pub fn manifest_path(&self) -> PathBuf {
        self.vfs_dir().join("bucket_manifest.json")
    }

    pub fn snapshots_dir(&self) -> PathBuf {
        self.vfs_dir().join("snapshots")
    }

    pub fn lock_path(&self) -> PathBuf {
        self.root.join("lock")
    }
}
