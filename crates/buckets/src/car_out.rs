//! Writing an export's shards to files: whole, or not at all.
//!
//! Every shard is written to a temp file beside its final name first; all are renamed only when
//! all are done, so an interrupted export never leaves a CAR under the name asked for. The
//! files are outputs, not home state, so they are not fsynced (as with Kubo's `dag export` and
//! ipfs-car; an fsync made a 1 GiB export wait for the disk, 2-6x slower than the `cp` of the
//! same bytes); `car verify` tells a CAR cut short by a power loss.

use std::fs::File;
use std::path::{Path, PathBuf};

use cid::Cid;
use ipfs_kit_blockstore::BlockStore;

use crate::car::shard_paths;
use crate::car_export::CarPlan;
use crate::error::BucketError;

impl CarPlan {
    /// Writes every shard to `out` (one shard) or `<stem>-0001.<ext>`… (see [`shard_paths`]).
    /// An existing file is refused unless `force`. Returns each file with its CAR CID, when
    /// `car_cid` asked for it.
    pub fn write_files(
        &self,
        store: &BlockStore,
        out: &Path,
        verify: bool,
        car_cid: bool,
        force: bool,
    ) -> Result<Vec<(PathBuf, Option<Cid>)>, BucketError> {
        let paths = shard_paths(out, self.shards.len());
        if let Some(existing) = paths.iter().find(|p| p.symlink_metadata().is_ok()).filter(|_| !force) {
            return Err(BucketError::BadExport {
                path: existing.display().to_string(),
                reason: "already exists; pass --force to replace it (nothing was written)",
            });
        }
        let temps: Vec<PathBuf> = paths.iter().map(|p| tmp_name(p)).collect();
        let result = (|| {
            let mut cids = Vec::new();
            for (k, (tmp, path)) in temps.iter().zip(&paths).enumerate() {
                // Named by the file asked for: the temp name means nothing to the user.
                let file = File::create(tmp).map_err(BucketError::io(path))?;
                cids.push(self.write_shard_file(store, k, verify, car_cid, &file)?);
            }
            for (tmp, path) in temps.iter().zip(&paths) {
                std::fs::rename(tmp, path).map_err(BucketError::io(path))?;
            }
            Ok(cids)
        })();
        match result {
            Ok(cids) => Ok(paths.into_iter().zip(cids).collect()),
            Err(err) => {
                for tmp in &temps {
                    let _ = std::fs::remove_file(tmp);
                }
                Err(err)
            }
        }
    }
}

fn tmp_name(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}
