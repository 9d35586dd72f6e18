//! Fuzzes the snapshot-record parser (`vfs/snapshots/snapshot_*.json`, `vfs/bucket_manifest.json`).
//!
//! The crate's parser (`manifest::read_record`: serde JSON into `SnapshotRecord`, then the
//! `format` and `version` checks) is private and reads a path, so the target parses the bytes
//! with serde as it does and, for every input serde accepts, also writes them to a scratch
//! home's manifest and reads them back with `manifest::read_manifest`, which must agree.
//!
//! Properties of an accepted record: it survives a round trip through the file form the crate
//! writes (pretty JSON) unchanged; its canonical bytes (what `manifest_hash` is computed over)
//! are stable across that round trip and parse back to the same record; and the accessors
//! (`global_cid`, `manifest_cid`, every bucket's `root` and `index`, `make_id`) do not panic,
//! with every CID they parse surviving base58btc (the form records are written in).

#![no_main]

use cid::Cid;
use ipfs_kit_buckets::Home;
use ipfs_kit_buckets::cids::base58btc;
use ipfs_kit_buckets::manifest::{self, FORMAT, FORMAT_VERSION, SnapshotRecord};
use libfuzzer_sys::fuzz_target;

fn scratch() -> &'static Home {
    static HOME: std::sync::OnceLock<Home> = std::sync::OnceLock::new();
    HOME.get_or_init(|| {
        let home = Home::new(ipfs_kit_fuzz::scratch_dir("snapshot-record"));
        std::fs::create_dir_all(home.snapshots_dir()).expect("scratch home");
        home
    })
}

fn same_cid_in_base58(cid: &Cid) {
    let text = base58btc(cid);
    assert_eq!(Cid::try_from(text.as_str()).ok().as_ref(), Some(cid), "{cid} does not survive base58btc");
}

fuzz_target!(|data: &[u8]| {
    let Ok(record) = serde_json::from_slice::<SnapshotRecord>(data) else { return };
    let valid = record.format == FORMAT && record.version <= FORMAT_VERSION;

    // The crate's own reader agrees with serde plus the two checks.
    let home = scratch();
    std::fs::write(home.manifest_path(), data).expect("scratch manifest");
    match manifest::read_manifest(home) {
        Ok(Some(read)) => {
            assert!(valid, "read_manifest accepted a record with format {:?} version {}", record.format, record.version);
            assert_eq!(read, record, "read_manifest and serde disagree");
        }
        Ok(None) => panic!("read_manifest found no manifest it was just given"),
        Err(err) => assert!(!valid, "read_manifest refused a record serde accepts: {err}"),
    }
    let _ = manifest::manifest_looks_current(home);

    // Round trip through the form `write_snapshot` and `write_manifest` use.
    let pretty = serde_json::to_vec_pretty(&record).expect("records serialise");
    let again: SnapshotRecord = serde_json::from_slice(&pretty).expect("a written record parses");
    assert_eq!(again, record, "record changed across write and read");

    // The canonical form is stable and holds everything but `manifest_hash`.
    let canonical = record.canonical_bytes();
    assert_eq!(again.canonical_bytes(), canonical, "canonical bytes changed across a round trip");
    assert_eq!(again.manifest_cid(), record.manifest_cid());
    let mut value: serde_json::Value = serde_json::from_slice(&canonical).expect("canonical bytes are JSON");
    assert!(value.get("manifest_hash").is_none(), "canonical bytes hold manifest_hash");
    value.as_object_mut().expect("an object").insert("manifest_hash".into(), record.manifest_hash.clone().into());
    let from_canonical: SnapshotRecord = serde_json::from_value(value).expect("canonical bytes parse back");
    assert_eq!(from_canonical, record, "canonical bytes lose part of the record");

    // Accessors: errors are fine, panics are not.
    if let Ok(global) = record.global_cid() {
        same_cid_in_base58(&global);
        let id = SnapshotRecord::make_id("20261124_061520", &global);
        assert!(id.starts_with("snapshot_20261124_061520_"), "{id}");
    }
    same_cid_in_base58(&record.manifest_cid());
    for bucket in record.buckets.values() {
        if let Ok(root) = bucket.root(&record.snapshot_id) {
            same_cid_in_base58(&root);
        }
        if let Ok(index) = bucket.index(&record.snapshot_id) {
            same_cid_in_base58(&index);
        }
    }
});
