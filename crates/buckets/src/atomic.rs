//! Replacing a file so that a crash leaves either the old or the new bytes.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::BucketError;

/// Writes `bytes` to `path` atomically (see `write_atomic_with`).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), BucketError> {
    write_atomic_with(path, |mut out| {
        out.write_all(bytes).map_err(BucketError::io(path))?;
        Ok(out)
    })
}

/// Lets `fill` write a temp file beside `path` (through a 1 MiB buffer, which it hands back),
/// then fsyncs the file, renames it over `path` and fsyncs the directory, so the rename itself
/// survives a crash. On any error the temp file is removed and `path` is untouched.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(BufWriter<File>) -> Result<BufWriter<File>, BucketError>,
) -> Result<(), BucketError> {
    let dir = path.parent().expect("file path has a parent");
    std::fs::create_dir_all(dir).map_err(BucketError::io(dir))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let file = File::create(&tmp).map_err(BucketError::io(&tmp))?;
        let out = fill(BufWriter::with_capacity(1 << 20, file))?;
        let file = out.into_inner().map_err(|e| BucketError::io(&tmp)(e.into_error()))?;
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
