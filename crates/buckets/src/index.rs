//! The per-bucket Parquet index, `vfs/buckets/<bucket>_vfs.parquet`.
//!
//! It keeps the earlier design's 20 columns, names and types, so its readers keep working, and
//! adds columns after them. Every value is derived from the catalog; `docs/parquet-index.md`
//! defines each one. Rows are files and symlinks (not directories), sorted by `path`, in row
//! groups of 8192 with page statistics, so DuckDB and pyarrow prune on `path`; `cid` and `path`
//! also carry bloom filters, which prune point lookups on `cid` that min/max cannot.
//!
//! The file is a derived view: it is written to a temp file, fsynced and renamed into place,
//! and the catalog records which bucket version it reflects. A crash between the catalog commit
//! and the rename leaves an older index, which the next command notices and rewrites.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, NullArray, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use ipfs_kit_unixfs::EntryKind;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use sha2::{Digest, Sha256};

use crate::catalog::{BucketRow, EntryRow};
use crate::cids::{base32, base58btc};
use crate::error::BucketError;
use crate::mime::guess_mime;

/// Rows per row group: small enough that a point lookup reads little, large enough to compress.
const ROW_GROUP: usize = 8192;

/// The schema: the earlier design's 20 columns, then ours.
pub fn schema() -> Schema {
    let s = |name: &str| Field::new(name, DataType::Utf8, false);
    let ns = |name: &str| Field::new(name, DataType::Utf8, true);
    let i = |name: &str| Field::new(name, DataType::Int64, false);
    Schema::new(vec![
        s("file_id"),
        s("bucket_name"),
        s("name"),
        s("cid"),
        s("path"),
        s("vfs_path"),
        s("mount_point"),
        i("size_bytes"),
        s("mime_type"),
        s("uploaded_at"),
        s("last_accessed"),
        i("access_count"),
        s("content_hash"),
        s("integrity_status"),
        s("storage_tier"),
        s("encryption_status"),
        Field::new("compression", DataType::Null, true),
        s("tags"),
        i("bucket_version"),
        ns("snapshot_created"),
        // Ours, after the earlier design's columns.
        s("cid_base32"),
        s("kind"),
        i("mtime"),
        i("mode"),
        i("dag_size"),
        s("profile"),
    ])
}

/// A file's stable id: its bucket and path, hashed, so it survives content changes.
fn file_id(bucket: &str, path: &str) -> String {
    let digest =
        Sha256::new().chain_update(bucket.as_bytes()).chain_update([0u8]).chain_update(path.as_bytes()).finalize();
    hex(&digest[..16], "")
}

/// Lower-case hex after `prefix`; this runs for every row, so no `format!` per byte.
pub(crate) fn hex(bytes: &[u8], prefix: &str) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(prefix.len() + 2 * bytes.len());
    out.push_str(prefix);
    for &b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// `a` then `b`, in one allocation.
fn join_str(a: &str, b: &str) -> String {
    let mut out = String::with_capacity(a.len() + b.len());
    out.push_str(a);
    out.push_str(b);
    out
}

/// Builds the record batch for one bucket's files (already in path order).
pub fn batch(
    bucket: &BucketRow,
    rows: &[EntryRow],
    snapshot_created: Option<&str>,
) -> Result<RecordBatch, BucketError> {
    let files: Vec<&EntryRow> = rows.iter().filter(|r| r.kind != EntryKind::Directory).collect();
    let strings = |f: &dyn Fn(&EntryRow) -> String| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(files.iter().map(|r| f(r))))
    };
    let ints = |f: &dyn Fn(&EntryRow) -> i64| -> ArrayRef {
        Arc::new(Int64Array::from_iter_values(files.iter().map(|r| f(r))))
    };
    let name = &bucket.name;
    let mount_point = format!("/{name}");
    let vfs_prefix = format!("/{name}/");
    let columns: Vec<ArrayRef> = vec![
        strings(&|r| file_id(name, &r.path)),
        strings(&|_| name.clone()),
        strings(&|r| crate::names::name_of(&r.path).to_owned()),
        strings(&|r| base58btc(&r.cid)),
        strings(&|r| r.path.clone()),
        strings(&|r| join_str(&vfs_prefix, &r.path)),
        strings(&|_| mount_point.clone()),
        ints(&|r| r.size as i64),
        strings(&|r| if r.kind == EntryKind::Symlink { "inode/symlink".into() } else { guess_mime(&r.path).into() }),
        strings(&|r| r.added_at.clone()),
        strings(&|r| r.last_accessed.clone().unwrap_or_else(|| r.added_at.clone())),
        ints(&|r| r.access_count),
        strings(&|r| r.content_hash.map(|h| hex(&h, "sha256:")).unwrap_or_default()),
        strings(&|_| "verified".into()),
        strings(&|_| "local".into()),
        strings(&|_| "none".into()),
        Arc::new(NullArray::new(files.len())),
        strings(&|_| "[]".into()),
        ints(&|r| r.version),
        Arc::new(StringArray::from_iter(files.iter().map(|_| snapshot_created))),
        strings(&|r| base32(&r.cid)),
        strings(&|r| r.kind.as_str().to_owned()),
        ints(&|r| r.mtime),
        ints(&|r| i64::from(r.mode)),
        ints(&|r| r.tsize as i64),
        strings(&|_| bucket.profile.clone()),
    ];
    Ok(RecordBatch::try_new(Arc::new(schema()), columns)?)
}

fn properties(bucket: &BucketRow, rows: usize) -> WriterProperties {
    // Bloom filters sized for the rows at hand (the default assumes a million distinct values).
    let ndv = rows.max(64) as u64;
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        // Min/max per column chunk everywhere; per page only where lookups prune.
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_column_statistics_enabled("path".into(), EnabledStatistics::Page)
        .set_max_row_group_size(ROW_GROUP);
    // Unique-per-row columns never fit a dictionary; trying costs a hash per value.
    for column in ["file_id", "cid", "path", "vfs_path", "content_hash", "cid_base32", "name"] {
        builder = builder.set_column_dictionary_enabled(column.into(), false);
    }
    for column in ["cid", "cid_base32"] {
        builder = builder
            .set_column_bloom_filter_enabled(column.into(), true)
            .set_column_bloom_filter_ndv(column.into(), ndv);
    }
    builder
        .set_key_value_metadata(Some(vec![
            KeyValue::new("ipfs_kit.bucket".into(), bucket.name.clone()),
            KeyValue::new("ipfs_kit.bucket_version".into(), bucket.version.to_string()),
            KeyValue::new("ipfs_kit.root_cid".into(), base32(&bucket.root)),
            KeyValue::new("ipfs_kit.profile".into(), bucket.profile.clone()),
        ]))
        .build()
}

/// Writes the index for `bucket` to `path` atomically: temp file, fsync, rename, dir fsync.
pub fn write(path: &Path, bucket: &BucketRow, rows: &[EntryRow]) -> Result<(), BucketError> {
    let dir = path.parent().expect("index path has a parent");
    std::fs::create_dir_all(dir).map_err(BucketError::io(dir))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("index"),
        std::process::id()
    ));
    let result = (|| {
        let file = File::create(&tmp).map_err(BucketError::io(&tmp))?;
        let batch = batch(bucket, rows, None)?;
        let mut writer = ArrowWriter::try_new(
            BufWriter::with_capacity(1 << 20, file),
            batch.schema(),
            Some(properties(bucket, batch.num_rows())),
        )?;
        writer.write(&batch)?;
        let out = writer.into_inner()?;
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
