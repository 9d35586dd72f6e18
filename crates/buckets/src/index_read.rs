//! Reading a Parquet index back as catalog rows, one batch at a time.
//!
//! `restore` wants the rows of a small index it fetched from the block store; `check` compares
//! every bucket's index with its catalog, and an index of 100,000 files is a 24 MB file. So the
//! rows come in batches of `BATCH` from any Parquet input (a `File` is read page by page), and
//! `read` collects them for the callers that want them all.

use arrow_array::{Array, ArrayRef, Int64Array, RecordBatch, StringArray};
use bytes::Bytes;
use ipfs_kit_unixfs::EntryKind;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::file::reader::ChunkReader;

use crate::catalog::EntryRow;
use crate::error::BucketError;

/// Rows decoded at a time.
const BATCH: usize = 8192;

/// What an index file says about its bucket: its rows (files and symlinks) and profile.
#[derive(Debug, Clone)]
pub struct IndexContents {
    pub rows: Vec<EntryRow>,
    pub profile: Option<String>,
}

/// Reads an index file's rows back as catalog rows, for `restore` and `check`. Values that the
/// index derives (mime type, file id) are not read; the ones the catalog holds are.
pub fn read(bytes: Bytes) -> Result<IndexContents, BucketError> {
    let mut reader = IndexRows::open(bytes)?;
    let mut rows = Vec::new();
    while let Some(batch) = reader.next_batch()? {
        rows.extend(batch);
    }
    Ok(IndexContents { rows, profile: reader.profile })
}

/// An index's rows, in file order, a batch at a time.
pub struct IndexRows {
    batches: ParquetRecordBatchReader,
    /// The import profile the file names, if any.
    pub profile: Option<String>,
}

impl IndexRows {
    pub fn open<R: ChunkReader + 'static>(input: R) -> Result<Self, BucketError> {
        let builder = ParquetRecordBatchReaderBuilder::try_new(input)?;
        let kv = builder.metadata().file_metadata().key_value_metadata().cloned().unwrap_or_default();
        let profile = kv.iter().find(|e| e.key == "ipfs_kit.profile").and_then(|e| e.value.clone());
        Ok(IndexRows { batches: builder.with_batch_size(BATCH).build()?, profile })
    }

    /// The next rows, or `None` at the end of the file.
    pub fn next_batch(&mut self) -> Result<Option<Vec<EntryRow>>, BucketError> {
        match self.batches.next() {
            None => Ok(None),
            Some(batch) => Ok(Some(rows_of(&batch?)?)),
        }
    }
}

fn rows_of(batch: &RecordBatch) -> Result<Vec<EntryRow>, BucketError> {
    let column = |name: &str| -> Result<&ArrayRef, BucketError> {
        batch.column_by_name(name).ok_or(BucketError::BadIndex("a column is missing"))
    };
    let strings = |name: &str| -> Result<&StringArray, BucketError> {
        column(name)?.as_any().downcast_ref::<StringArray>().ok_or(BucketError::BadIndex("a column has another type"))
    };
    let ints = |name: &str| -> Result<&Int64Array, BucketError> {
        column(name)?.as_any().downcast_ref::<Int64Array>().ok_or(BucketError::BadIndex("a column has another type"))
    };
    let (path, cid, kind, size) = (strings("path")?, strings("cid_base32")?, strings("kind")?, ints("size_bytes")?);
    let (tsize, mtime, mode) = (ints("dag_size")?, ints("mtime")?, ints("mode")?);
    let (hash, added, version) = (strings("content_hash")?, strings("uploaded_at")?, ints("bucket_version")?);
    let (count, accessed) = (ints("access_count")?, strings("last_accessed")?);
    let mut rows = Vec::with_capacity(batch.num_rows());
    for i in 0..batch.num_rows() {
        let kind = match kind.value(i) {
            "file" => EntryKind::File,
            "symlink" => EntryKind::Symlink,
            _ => return Err(BucketError::BadIndex("a row has an unknown kind")),
        };
        let content_hash = hash.value(i).strip_prefix("sha256:").and_then(unhex32);
        let last = accessed.value(i);
        rows.push(EntryRow {
            path: path.value(i).to_owned(),
            kind,
            cid: cid::Cid::try_from(cid.value(i)).map_err(|_| BucketError::BadIndex("a CID does not parse"))?,
            size: size.value(i) as u64,
            tsize: tsize.value(i) as u64,
            mtime: mtime.value(i),
            mode: mode.value(i) as u32,
            content_hash,
            added_at: added.value(i).to_owned(),
            version: version.value(i),
            access_count: count.value(i),
            // The index shows the add time when a file was never read.
            last_accessed: (count.value(i) > 0 && !accessed.is_null(i)).then(|| last.to_owned()),
            object: None,
        });
    }
    Ok(rows)
}

fn unhex32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}
