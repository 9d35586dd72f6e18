//! Snapshot records: `vfs/snapshots/snapshot_<YYYYMMDD_HHMMSS>_<hash prefix>.json` and the
//! global manifest `vfs/bucket_manifest.json`, which is a copy of the latest one.
//!
//! A record keeps the earlier design's fields, with real values: `content_hash` is a bucket's
//! root CID, `snapshot_hash` the CID of its Parquet index (stored as a UnixFS file),
//! `global_hash` the CID of a UnixFS directory holding every bucket's root under its name (and
//! the indexes under `.ipfs-kit/buckets/`), and `manifest_hash` the CID of the record itself.
//! Every hash's blocks are in the block store, so a snapshot can be shipped and restored from
//! its global CID alone. Hashes are written in base58btc (`zdj7W…`); readers take any base.
//!
//! The snapshot files are the history; `sequence` orders them (file names only have seconds)
//! and `parent` chains each to the one before.

use std::collections::BTreeMap;
use std::path::Path;

use cid::Cid;
use ipfs_kit_unixfs::block::{RAW, sha256_cid};
use serde::{Deserialize, Serialize};

use crate::atomic::write_atomic;
use crate::cids::base58btc;
use crate::error::BucketError;
use crate::home::Home;

/// The layout of a record; readers refuse a newer one.
pub const FORMAT_VERSION: u32 = 1;
/// What `format` says, so a stray JSON file is not taken for a snapshot.
pub const FORMAT: &str = "ipfs-kit-snapshot";
/// The directory in a global snapshot directory that holds the indexes. Bucket names cannot
/// start with a dot, so it never meets a bucket.
pub const META_DIR: &str = ".ipfs-kit";

/// One snapshot: the whole set of buckets at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotRecord {
    pub format: String,
    pub version: u32,
    pub snapshot_id: String,
    /// 1 for the first snapshot of a home, then one more than the parent's.
    pub sequence: u64,
    /// UTC, RFC 3339 with a `Z`.
    pub created_at: String,
    pub message: Option<String>,
    /// The previous snapshot's `global_hash`.
    pub parent: Option<String>,
    pub bucket_count: u64,
    pub total_files: u64,
    pub total_size_bytes: u64,
    pub global_hash: String,
    /// The CID (raw codec) of this record's canonical JSON without `manifest_hash`.
    pub manifest_hash: String,
    pub buckets: BTreeMap<String, BucketRecord>,
}

/// One bucket in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketRecord {
    /// The bucket's root CID.
    pub content_hash: String,
    /// The CID of the bucket's Parquet index file.
    pub snapshot_hash: String,
    /// The index file, relative to `vfs/`.
    pub parquet_file: String,
    pub file_count: u64,
    pub total_size_bytes: u64,
    /// The bucket's version: it grows with every change.
    pub version: i64,
    /// Every block of the bucket is in the local store, so a CAR can be written.
    pub car_ready: bool,
    pub profile: String,
    /// Cumulative size of the bucket's DAG (the root link's Tsize).
    pub dag_size: u64,
    /// Cumulative size of the index file's DAG.
    pub index_dag_size: u64,
}

impl SnapshotRecord {
    /// The canonical bytes `manifest_hash` is computed over: compact JSON with keys sorted,
    /// `manifest_hash` left out.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut value = serde_json::to_value(self).expect("records serialise");
        value.as_object_mut().expect("a record is an object").remove("manifest_hash");
        serde_json::to_vec(&value).expect("values serialise")
    }

    /// The CID `manifest_hash` must hold.
    pub fn manifest_cid(&self) -> Cid {
        sha256_cid(1, RAW, &self.canonical_bytes())
    }

    pub fn global_cid(&self) -> Result<Cid, BucketError> {
        parse_cid(&self.global_hash, &self.snapshot_id)
    }

    /// The id used in file names and on the command line.
    pub fn make_id(stamp: &str, global: &Cid) -> String {
        let hash = base58btc(global);
        format!("snapshot_{stamp}_{}", &hash[..hash.len().min(12)])
    }
}

impl BucketRecord {
    pub fn root(&self, snapshot: &str) -> Result<Cid, BucketError> {
        parse_cid(&self.content_hash, snapshot)
    }

    pub fn index(&self, snapshot: &str) -> Result<Cid, BucketError> {
        parse_cid(&self.snapshot_hash, snapshot)
    }
}

fn parse_cid(text: &str, snapshot: &str) -> Result<Cid, BucketError> {
    Cid::try_from(text).map_err(|_| BucketError::BadSnapshot { id: snapshot.to_owned(), reason: "a hash is not a CID" })
}

fn read_record(path: &Path) -> Result<SnapshotRecord, BucketError> {
    let bytes = std::fs::read(path).map_err(BucketError::io(path))?;
    let id = path.file_stem().and_then(|s| s.to_str()).unwrap_or("manifest").to_owned();
    let record: SnapshotRecord = serde_json::from_slice(&bytes)
        .map_err(|_| BucketError::BadSnapshot { id: id.clone(), reason: "not valid JSON of a snapshot record" })?;
    if record.format != FORMAT {
        return Err(BucketError::BadSnapshot { id, reason: "not an ipfs-kit snapshot" });
    }
    if record.version > FORMAT_VERSION {
        return Err(BucketError::BadSnapshot { id, reason: "written by a newer ipfs-kit" });
    }
    Ok(record)
}

/// Every snapshot record in the home, oldest first.
pub fn list(home: &Home) -> Result<Vec<SnapshotRecord>, BucketError> {
    let dir = home.snapshots_dir();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(BucketError::io(&dir)(e)),
    };
    let mut records = Vec::new();
    for entry in entries {
        let entry = entry.map_err(BucketError::io(&dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with("snapshot_") && name.ends_with(".json") {
            records.push(read_record(&entry.path())?);
        }
    }
    records.sort_by(|a, b| a.sequence.cmp(&b.sequence).then_with(|| a.created_at.cmp(&b.created_at)));
    Ok(records)
}

/// A cheap test, run before every command, that the manifest names the newest snapshot file:
/// its file exists and no other file's name carries a later or equal time. Only when this fails
/// are the records read (names have seconds; `sequence` decides within one second).
pub fn manifest_looks_current(home: &Home) -> bool {
    let Ok(entries) = std::fs::read_dir(home.snapshots_dir()) else {
        return !home.manifest_path().exists();
    };
    let Ok(Some(manifest)) = read_manifest(home) else { return false };
    // "snapshot_YYYYMMDD_HHMMSS"
    let stamp_of = |id: &str| id.get(..24).map(str::to_owned);
    let Some(current) = stamp_of(&manifest.snapshot_id) else { return false };
    let mut found = false;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".json")) else { continue };
        if !id.starts_with("snapshot_") {
            continue;
        }
        if id == manifest.snapshot_id {
            found = true;
        } else if stamp_of(id).is_none_or(|s| s >= current) {
            return false;
        }
    }
    found
}

/// The manifest, if one has been written.
pub fn read_manifest(home: &Home) -> Result<Option<SnapshotRecord>, BucketError> {
    let path = home.manifest_path();
    if !path.exists() {
        return Ok(None);
    }
    read_record(&path).map(Some)
}

pub fn snapshot_path(home: &Home, id: &str) -> std::path::PathBuf {
    home.snapshots_dir().join(format!("{id}.json"))
}

/// Writes the record's snapshot file, atomically.
pub fn write_snapshot(home: &Home, record: &SnapshotRecord) -> Result<(), BucketError> {
    write_atomic(&snapshot_path(home, &record.snapshot_id), &pretty(record))
}

/// Writes the manifest (the latest record), atomically.
pub fn write_manifest(home: &Home, record: &SnapshotRecord) -> Result<(), BucketError> {
    write_atomic(&home.manifest_path(), &pretty(record))
}

fn pretty(record: &SnapshotRecord) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(record).expect("records serialise");
    bytes.push(b'\n');
    bytes
}

/// `YYYYMMDD_HHMMSS` of an RFC 3339 time, for ids.
pub fn stamp(rfc3339: &str) -> String {
    let digits: String = rfc3339.chars().filter(char::is_ascii_digit).take(14).collect();
    format!("{}_{}", &digits[..8], &digits[8..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp_and_id() {
        assert_eq!(stamp("2026-11-24T06:15:20.123456Z"), "20261124_061520");
        let cid = sha256_cid(1, ipfs_kit_unixfs::block::DAG_PB, b"x");
        let id = SnapshotRecord::make_id("20261124_061520", &cid);
        assert!(id.starts_with("snapshot_20261124_061520_zdj7W"), "{id}");
        assert_eq!(id.len(), "snapshot_20261124_061520_".len() + 12);
    }
}
