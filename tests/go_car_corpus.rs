//! go-car's own test CARs (`tests/data/go-car/`, see its README) through `car roots`, `car verify`
//! and `car ls --verbose`, each with the outcome stated here: the good samples verify with every
//! block checked and the DAG's completeness reported; the corrupt ones are refused with the byte
//! offset of the damage; the zero-length-section files read to their end only with
//! `--zero-length-as-eof`.

mod common;

use std::path::PathBuf;

use serde_json::Value;

fn car(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/go-car").join(name).to_string_lossy().into_owned()
}

/// `car verify --json`, which must succeed.
fn verified(name: &str, extra: &[&str]) -> Value {
    let path = car(name);
    let mut args = vec!["car", "verify", "--json"];
    args.extend_from_slice(extra);
    args.push(&path);
    serde_json::from_str(&common::ipfs_kit_ok(&args).join("\n")).unwrap()
}

/// `car verify` fails with one line naming the file and containing `needle`.
fn refused(name: &str, extra: &[&str], needle: &str) {
    let path = car(name);
    let mut args = vec!["car", "verify"];
    args.extend_from_slice(extra);
    args.push(&path);
    let out = common::ipfs_kit(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{name} should be refused");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{name}: one line: {stderr:?}");
    assert!(stderr.contains(name) && stderr.contains(needle), "{name}: {stderr:?} should say {needle:?}");
}

/// The Filecoin chain sample: 1043 DAG-CBOR blocks hashed with blake2b-256 and 6 identity raw
/// blocks, one root, whose DAG-CBOR links all resolve inside the CAR.
const FILECOIN_ROOT: &str = "bafy2bzaced4ueelaegfs5fqu4tzsh6ywbbpfk3cxppupmxfdhbpbhzawfw5oy";

#[test]
fn good_samples_verify_with_their_completeness() {
    // (file, CAR version, blocks, complete?, missing blocks)
    let expected: &[(&str, u64, u64, bool, u64)] = &[
        ("sample-v1.car", 1, 1049, true, 0),
        ("sample-wrapped-v2.car", 2, 1049, true, 0),
        ("sample-v2-indexless.car", 2, 1049, true, 0),
        // The same chain without its identity blocks: still complete (identity CIDs need no block).
        ("sample-v1-noidentity.car", 1, 1043, true, 0),
        ("sample-unixfs-v2.car", 2, 3, true, 0),
        // Three roots, each a raw block.
        ("sample-rw-bs-v2.car", 2, 3, true, 0),
        ("simple-unixfs.car", 1, 22, true, 0),
        // go-car's own name says it: three linked dag-pb blocks are left out.
        ("simple-unixfs-missing-blocks.car", 1, 17, false, 3),
        // One article of a Wikipedia snapshot: the directories above it are not in the CAR.
        ("wikipedia-cryptographic-hash-function.car", 1, 5, false, 680),
    ];
    for &(name, version, blocks, complete, missing) in expected {
        let report = verified(name, &[]);
        assert_eq!(report["version"], version, "{name}");
        assert_eq!(report["blocks"], blocks, "{name}");
        assert_eq!(report["complete"], complete, "{name}: {report}");
        assert_eq!(report["missing_blocks"], missing, "{name}: {report}");
    }
    assert_eq!(verified("sample-v1.car", &[])["roots"][0], FILECOIN_ROOT);
}

#[test]
fn corrupt_samples_are_refused_at_their_offset() {
    // A header length of 216830324832 bytes at byte 0, a section of that length at byte 18.
    refused("badheaderlength.car", &[], "CAR header at byte 0 claims 216830324832 bytes");
    refused("badsectionlength.car", &[], "section at byte 18 claims 216830324832 bytes");
    // The CARv2 pragma cut short: the first section (the pragma) ends early.
    refused("sample-corrupt-pragma.car", &[], "section at byte 0 ends early");
    // {"version": 42} and no roots.
    refused("sample-rootless-v42.car", &[], "invalid CAR header at byte 10: unsupported CAR version 42");
    refused("sample-v2-corrupt-data-and-index.car", &[], "invalid CARv2 header at byte 11");
    // The last section claims more bytes than the file has.
    refused("sample-v1-tailing-corrupt-section.car", &[], "section at byte 479518 ends early");
    // --zero-length-as-eof changes nothing for damage that is not a zero.
    refused("sample-v1-tailing-corrupt-section.car", &["--zero-length-as-eof"], "byte 479518");
}

#[test]
fn zero_length_sections_end_the_car_only_when_asked() {
    refused("sample-v1-with-zero-len-section.car", &[], "zero-length section at byte 479907");
    refused("sample-v1-with-zero-len-section2.car", &[], "zero-length section at byte 20819");
    let report = verified("sample-v1-with-zero-len-section.car", &["--zero-length-as-eof"]);
    assert_eq!((report["blocks"].as_u64(), report["complete"].as_bool()), (Some(1049), Some(true)));
    let report = verified("sample-v1-with-zero-len-section2.car", &["--zero-length-as-eof"]);
    assert_eq!((report["blocks"].as_u64(), report["complete"].as_bool()), (Some(20), Some(true)));
}

#[test]
fn roots_read_only_the_header_and_ls_names_codecs_and_hashes() {
    // The header is sound even where the blocks are not.
    for name in ["sample-v1.car", "sample-v1-tailing-corrupt-section.car", "sample-v1-with-zero-len-section.car"] {
        assert_eq!(common::ipfs_kit_ok(&["car", "roots", &car(name)]), vec![FILECOIN_ROOT.to_owned()], "{name}");
    }
    let lines = common::ipfs_kit_ok(&["car", "ls", "--verbose", &car("sample-v1.car")]);
    assert_eq!(lines.len(), 1049);
    let count =
        |codec: &str, hash: &str| lines.iter().filter(|l| l.split('\t').skip(1).take(2).eq([codec, hash])).count();
    assert_eq!(count("dag-cbor", "blake2b-256"), 1043);
    assert_eq!(count("raw", "identity"), 6);
    assert!(lines.iter().any(|l| l.starts_with(FILECOIN_ROOT)));
    // Plain `car ls` lists UnixFS files, and says what to use for a DAG-CBOR root.
    let out = common::ipfs_kit(&["car", "ls", &car("sample-v1.car")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is dag-cbor, not UnixFS"));
}
