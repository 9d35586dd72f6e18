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
//!
//! Two columns, `access_count` and `last_accessed`, come from the read statistics
//! (`access.rs`), not the catalog. The working file shows them; the copy a snapshot stores
//! (`write_unread`) shows every file as never read, so reads do not change history.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, NullArray, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use bytes::Bytes;
use ipfs_kit_unixfs::EntryKind;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowRowGroupWriterFactory, compute_leaves};
use parquet::basic::Compression;
use parquet::column::writer::ColumnCloseResult;
use parquet::file::metadata::{ColumnChunkMetaData, KeyValue};
use parquet::file::page_index::column_index::ColumnIndexMetaData;
use parquet::file::properties::ReaderProperties;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::reader::FileReader;
use parquet::file::serialized_reader::{ReadOptionsBuilder, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use sha2::{Digest, Sha256};

use crate::catalog::{BucketRow, EntryRow};
use crate::cids::{base32, base58btc};
use crate::error::BucketError;
use crate::mime::guess_mime;

pub use crate::index_read::{IndexContents, IndexRows, read};

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
pub fn hex(bytes: &[u8], prefix: &str) -> String {
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

/// Where the index gets its rows: all of them, or those in a path interval.
pub trait RowSource {
    /// Files and symlinks with `lo < path <= hi`, in path order, the first `limit` of them;
    /// `None` bounds are open. Writers page through with `limit`, so an index of any size is
    /// written holding one row group of rows at a time.
    fn rows_between(
        &self,
        lo: Option<&str>,
        hi: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<EntryRow>, BucketError>;

    /// How many rows `rows_between(lo, hi, None)` would return.
    fn count_between(&self, lo: Option<&str>, hi: Option<&str>) -> Result<usize, BucketError>;
}

/// Feeds `each` the rows with `lo < path <= hi` in pieces of at most `piece` rows, in path
/// order, keyset-paged (each piece starts after the last path of the one before).
fn for_each_piece(
    source: &dyn RowSource,
    lo: Option<&str>,
    hi: Option<&str>,
    piece: usize,
    each: &mut dyn FnMut(&[EntryRow]) -> Result<(), BucketError>,
) -> Result<(), BucketError> {
    let mut after = lo.map(str::to_owned);
    loop {
        let rows = source.rows_between(after.as_deref(), hi, Some(piece))?;
        let Some(last) = rows.last() else { return Ok(()) };
        after = Some(last.path.clone());
        each(&rows)?;
        if rows.len() < piece {
            return Ok(());
        }
    }
}

/// An inclusive range of paths whose rows may have changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRange {
    pub lo: String,
    pub hi: String,
}

impl PathRange {
    /// `path` and everything below it.
    pub fn subtree(path: &str) -> Self {
        PathRange { lo: path.to_owned(), hi: format!("{path}/\u{10ffff}") }
    }

    /// Only `path`.
    pub fn single(path: &str) -> Self {
        PathRange { lo: path.to_owned(), hi: path.to_owned() }
    }
}

/// The key-value entry listing each row group's last path, so the next write knows the groups.
const GROUPS_KEY: &str = "ipfs_kit.row_groups";
/// The key-value entry with the catalog's change counter the file shows.
const SEQ_KEY: &str = "ipfs_kit.change_seq";
/// The key-value entry with the read statistics' clock value the file shows (`access.rs`).
const ACCESS_KEY: &str = "ipfs_kit.access_seq";

/// What an index file says it shows, from its footer alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub change_seq: i64,
    /// `<epoch>:<seq>` of the read statistics, or `access::NO_READS`; empty if the file predates it.
    pub access: String,
}

/// Reads the stamp of the index at `path`, if there is a readable one.
pub fn stamp(path: &Path) -> Option<Stamp> {
    let reader = SerializedFileReader::new(File::open(path).ok()?).ok()?;
    let kv = reader.metadata().file_metadata().key_value_metadata()?.clone();
    let get = |key: &str| kv.iter().find(|e| e.key == key).and_then(|e| e.value.clone());
    Some(Stamp { change_seq: get(SEQ_KEY)?.parse().ok()?, access: get(ACCESS_KEY).unwrap_or_default() })
}

/// Writes the index for `bucket` to `path` atomically: temp file, fsync, rename, dir fsync.
///
/// With `changed`, and an index on disk that shows `bucket.indexed_seq`, only the row groups
/// whose path interval meets a changed range are re-encoded; the others are copied byte for
/// byte (with their bloom filters) from the old file. Row group k holds the paths in
/// (last path of group k-1, last path of group k], the last group's interval being open above,
/// so every path belongs to exactly one group and a change touches only the groups around it.
///
/// `access` is the read statistics' clock value the rows of `source` show (recorded in the file).
pub fn write(
    path: &Path,
    bucket: &BucketRow,
    source: &dyn RowSource,
    changed: Option<&[PathRange]>,
    access: &str,
) -> Result<(), BucketError> {
    let old = changed.and_then(|c| OldIndex::open(path, bucket.indexed_seq).map(|old| (old, c)));
    crate::atomic::write_atomic_with(path, |out| match old {
        Some((old, changed)) => write_incremental(out, bucket, source, &old, changed, access),
        None => write_full(out, bucket, source, access),
    })
}

/// Writes to `out` the index as it would be had no file ever been read, from the current
/// working index at `working` (which must show `bucket.change_seq`) and `source`, whose rows
/// carry no read counts. Row groups in which no file was read are copied byte for byte, so the
/// result is the working file with only its read groups re-encoded; this is the copy a
/// snapshot stores.
pub fn write_unread(working: &Path, out: &Path, bucket: &BucketRow, source: &dyn RowSource) -> Result<(), BucketError> {
    let old = OldIndex::open(working, bucket.change_seq);
    crate::atomic::write_atomic_with(out, |o| match &old {
        Some(old) => write_incremental(o, bucket, source, old, &old.groups_with_reads(), crate::access::NO_READS),
        None => write_full(o, bucket, source, crate::access::NO_READS),
    })
}

type Out = BufWriter<File>;

/// A fresh file writer with our schema and properties, and the factory for column writers.
fn start(
    out: Out,
    bucket: &BucketRow,
    rows_hint: usize,
) -> Result<(SerializedFileWriter<Out>, ArrowRowGroupWriterFactory), BucketError> {
    let writer = ArrowWriter::try_new(out, Arc::new(schema()), Some(properties(bucket, rows_hint)))?;
    Ok(writer.into_serialized_writer()?)
}

/// Row groups being appended to an index, with the last path of each (the footer lists them).
struct Groups<'w> {
    writer: &'w mut SerializedFileWriter<Out>,
    factory: &'w ArrowRowGroupWriterFactory,
    bucket: &'w BucketRow,
    last_paths: &'w mut Vec<String>,
}

impl Groups<'_> {
    /// Encodes the rows with `lo < path <= hi` as row groups of `per_group` rows.
    fn encode(
        &mut self,
        source: &dyn RowSource,
        lo: Option<&str>,
        hi: Option<&str>,
        per_group: usize,
    ) -> Result<(), BucketError> {
        for_each_piece(source, lo, hi, per_group, &mut |rows| {
            encode_group(self.writer, self.factory, self.bucket, rows, self.last_paths.len())?;
            self.last_paths.push(rows.last().expect("pieces are not empty").path.clone());
            Ok(())
        })
    }
}

/// Encodes `rows` as one row group.
fn encode_group(
    writer: &mut SerializedFileWriter<Out>,
    factory: &ArrowRowGroupWriterFactory,
    bucket: &BucketRow,
    rows: &[EntryRow],
    index: usize,
) -> Result<(), BucketError> {
    let batch = batch(bucket, rows, None)?;
    let mut columns = factory.create_column_writers(index)?;
    let mut leaves = Vec::new();
    for (array, field) in batch.columns().iter().zip(batch.schema().fields()) {
        leaves.extend(compute_leaves(field, array)?);
    }
    let mut group = writer.next_row_group()?;
    for (column, leaf) in columns.iter_mut().zip(&leaves) {
        column.write(leaf)?;
    }
    for column in columns {
        column.close()?.append_to_row_group(&mut group)?;
    }
    group.close()?;
    Ok(())
}

fn finish(
    mut writer: SerializedFileWriter<Out>,
    bucket: &BucketRow,
    last_paths: Vec<String>,
    access: &str,
) -> Result<Out, BucketError> {
    writer.append_key_value_metadata(KeyValue::new(SEQ_KEY.into(), bucket.change_seq.to_string()));
    writer.append_key_value_metadata(KeyValue::new(ACCESS_KEY.into(), access.to_owned()));
    let groups = serde_json::to_string(&last_paths).expect("strings serialise");
    writer.append_key_value_metadata(KeyValue::new(GROUPS_KEY.into(), groups));
    // into_inner writes the footer.
    Ok(writer.into_inner()?)
}

fn write_full(out: Out, bucket: &BucketRow, source: &dyn RowSource, access: &str) -> Result<Out, BucketError> {
    let (mut writer, factory) = start(out, bucket, source.count_between(None, None)?)?;
    let mut last_paths = Vec::new();
    let mut groups = Groups { writer: &mut writer, factory: &factory, bucket, last_paths: &mut last_paths };
    groups.encode(source, None, None, ROW_GROUP)?;
    finish(writer, bucket, last_paths, access)
}

/// The index on disk, when it is what the catalog says it is. It is read whole into memory:
/// copying row groups out of a `File` costs one small `pread` per few hundred bytes.
struct OldIndex {
    bytes: Bytes,
    reader: SerializedFileReader<Bytes>,
    last_paths: Vec<String>,
}

impl OldIndex {
    fn open(path: &Path, expected_seq: i64) -> Option<OldIndex> {
        let bytes = Bytes::from(std::fs::read(path).ok()?);
        let options = ReadOptionsBuilder::new()
            .with_page_index()
            .with_reader_properties(ReaderProperties::builder().set_read_bloom_filter(true).build())
            .build();
        let reader = SerializedFileReader::new_with_options(bytes.clone(), options).ok()?;
        let kv = reader.metadata().file_metadata().key_value_metadata()?.clone();
        let get = |key: &str| kv.iter().find(|e| e.key == key).and_then(|e| e.value.clone());
        if get(SEQ_KEY)?.parse::<i64>().ok()? != expected_seq {
            return None;
        }
        // Row groups can only be copied into a file of the same columns.
        let columns = reader.metadata().file_metadata().schema_descr();
        let ours = schema();
        if columns.num_columns() != ours.fields().len()
            || columns.columns().iter().zip(ours.fields()).any(|(c, f)| c.name() != f.name())
        {
            return None;
        }
        let last_paths: Vec<String> = serde_json::from_str(&get(GROUPS_KEY)?).ok()?;
        (last_paths.len() == reader.metadata().num_row_groups()).then_some(OldIndex { bytes, reader, last_paths })
    }

    /// One path inside each row group in which some file was read (its `access_count`
    /// statistics are not all zero, or are missing): marking these re-encodes exactly them.
    fn groups_with_reads(&self) -> Vec<PathRange> {
        use parquet::file::statistics::Statistics;
        let column = schema().index_of("access_count").expect("the schema has access_count");
        let metadata = self.reader.metadata();
        (0..self.last_paths.len())
            .filter(|&k| match metadata.row_group(k).column(column).statistics() {
                Some(Statistics::Int64(s)) => s.min_opt() != Some(&0) || s.max_opt() != Some(&0),
                _ => true,
            })
            .map(|k| PathRange::single(&self.last_paths[k]))
            .collect()
    }
}

fn write_incremental(
    out: Out,
    bucket: &BucketRow,
    source: &dyn RowSource,
    old: &OldIndex,
    changed: &[PathRange],
    access: &str,
) -> Result<Out, BucketError> {
    let groups = old.last_paths.len();
    let total_rows: i64 = old.reader.metadata().row_groups().iter().map(|g| g.num_rows()).sum();
    // Deletions can leave many small groups behind; past twice the groups a fresh write would
    // make, start over.
    if groups == 0 || groups > 2 * (total_rows as usize).div_ceil(ROW_GROUP) + 1 {
        return write_full(out, bucket, source, access);
    }
    let (mut writer, factory) = start(out, bucket, total_rows as usize)?;
    let mut last_paths = Vec::new();
    for k in 0..groups {
        let lower = k.checked_sub(1).map(|j| old.last_paths[j].as_str());
        let upper = (k + 1 < groups).then(|| old.last_paths[k].as_str());
        let dirty = changed
            .iter()
            .any(|r| lower.is_none_or(|lo| r.hi.as_str() > lo) && upper.is_none_or(|hi| r.lo.as_str() <= hi));
        if !dirty {
            copy_group(&mut writer, old, k)?;
            last_paths.push(old.last_paths[k].clone());
            continue;
        }
        // The range is split into equal parts of at most ROW_GROUP rows, read one at a time.
        let rows = source.count_between(lower, upper)?;
        let parts = rows.div_ceil(ROW_GROUP).max(1);
        let per_part = rows.div_ceil(parts).max(1);
        Groups { writer: &mut writer, factory: &factory, bucket, last_paths: &mut last_paths }
            .encode(source, lower, upper, per_part)?;
    }
    finish(writer, bucket, last_paths, access)
}

/// Copies row group `k` of the old file, column chunk by column chunk, with its bloom filters
/// and page indexes, so a copied group is exactly as a fresh write would make it.
fn copy_group(writer: &mut SerializedFileWriter<Out>, old: &OldIndex, k: usize) -> Result<(), BucketError> {
    let metadata = old.reader.metadata();
    let meta = metadata.row_group(k);
    let group_reader = old.reader.get_row_group(k)?;
    let column_index = metadata.column_index().and_then(|all| all.get(k));
    let offset_index = metadata.offset_index().and_then(|all| all.get(k));
    let mut group = writer.next_row_group()?;
    for (j, column) in meta.columns().iter().enumerate() {
        let close = ColumnCloseResult {
            bytes_written: column.compressed_size() as u64,
            rows_written: meta.num_rows() as u64,
            metadata: as_written(column)?,
            bloom_filter: group_reader.get_column_bloom_filter(j).cloned(),
            column_index: column_index
                .and_then(|c| c.get(j))
                .filter(|c| !matches!(c, ColumnIndexMetaData::NONE))
                .cloned(),
            offset_index: offset_index.and_then(|o| o.get(j)).cloned(),
        };
        group.append_column(&old.bytes, close)?;
    }
    group.close()?;
    Ok(())
}

/// A column chunk's metadata as a fresh write makes it. parquet-rs' column writer also fills the
/// deprecated `min`/`max` statistics for columns with a signed sort order (the `Int64` ones
/// here); statistics read back from a file lose that flag, and without it a copied group's
/// footer would differ from a fresh write's, so the copy of an index (a snapshot's, say) would
/// depend on which of its groups were copied.
fn as_written(column: &ColumnChunkMetaData) -> Result<ColumnChunkMetaData, BucketError> {
    use parquet::file::statistics::Statistics;
    let signed = column.column_descr().sort_order() == parquet::basic::SortOrder::SIGNED;
    let stats = match column.statistics().cloned() {
        Some(Statistics::Int32(s)) if signed => Statistics::Int32(s.with_backwards_compatible_min_max(true)),
        Some(Statistics::Int64(s)) if signed => Statistics::Int64(s.with_backwards_compatible_min_max(true)),
        _ => return Ok(column.clone()),
    };
    Ok(column.clone().into_builder().set_statistics(stats).build()?)
}
