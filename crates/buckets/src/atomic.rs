//! Replacing a small file so that a crash leaves either the old or the new bytes.

use std::io::Write;
use std::path::Path;

use crate::error::BucketError;

/// Writes `bytes` to a temp file beside `path`, fsyncs it, renames it over `path` and fsyncs
/// the directory, so the rename itself survives a crash.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), BucketError> {
    let dir = path.parent().expect("file path has a parent");
    std::fs::create_dir_all(dir).map_err(BucketError::io(dir))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp).map_err(BucketError::io(&tmp))?;
        file.write_all(bytes).map_err(BucketError::io(&tmp))?;
        file.sync_all().map_err(BucketError::io(&tmp))?;
        std::fs::rename(&tmp, path).map_err(BucketError::io(path))?;
        ipfs_kit_blockstore::sync_dir(dir)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
