//! Checks against traffic captured byte for byte from the JS client (`@storacha/client`
//! 2.1.4) and a local `@storacha/upload-api` 2.8.4; copied from the shared vectors folder.

use std::fs;
use std::path::{Path, PathBuf};

use ipfs_kit_car::{CarReader, Limits};
use ipfs_kit_storacha::{Receipt, Signer, Ucan, Value};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(rel)
}

fn service() -> serde_json::Value {
    serde_json::from_slice(&fs::read(data("js-client-hello/000-service.json")).unwrap()).unwrap()
}

/// Every block of every captured CAR in `folder`.
fn blocks(folder: &str) -> Vec<(String, ipfs_kit_car::Block)> {
    let mut out = Vec::new();
    let mut files: Vec<_> = fs::read_dir(data(folder)).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for path in files.into_iter().filter(|p| p.extension().is_some_and(|e| e == "car")) {
        let mut reader = CarReader::new(fs::File::open(&path).unwrap(), Limits::default()).unwrap();
        while let Some(block) = reader.next_block().unwrap() {
            out.push((path.file_name().unwrap().to_string_lossy().into_owned(), block));
        }
    }
    out
}

#[test]
fn every_dag_cbor_block_re_encodes_to_the_js_cid() {
    let mut n = 0;
    for (file, block) in blocks("js-client-hello") {
        if block.cid.codec() != 0x71 {
            continue;
        }
        let value = Value::from_cbor(&block.data).unwrap_or_else(|e| panic!("{file} {}: {e}", block.cid));
        assert_eq!(ipfs_kit_storacha::Block::encode(&value).cid, block.cid, "{file}");
        n += 1;
    }
    assert!(n >= 100, "only {n} blocks");
}

#[test]
fn every_signature_in_the_capture_verifies_and_a_flipped_byte_fails() {
    let service_key = service()["serviceKeyDid"].as_str().unwrap().to_owned();
    let key_for = |iss: &str| if iss.starts_with("did:key:") { None } else { Some(service_key.as_str()) };
    let (mut ucans, mut receipts) = (0, 0);
    for (file, block) in blocks("js-client-hello") {
        let Ok(value) = Value::from_cbor(&block.data) else { continue };
        if value.get("v").is_some() {
            let mut ucan = Ucan::decode(&block.data).unwrap();
            assert_eq!(ucan.block().unwrap().cid, block.cid, "{file}: our UCAN encoding differs");
            let key = key_for(&ucan.payload.issuer);
            ucan.verify(key).unwrap_or_else(|e| panic!("{file} {}: {e}", block.cid));
            ucan.signature[20] ^= 1;
            assert!(ucan.verify(key).is_err());
            ucans += 1;
        } else if value.get("ocm").is_some() {
            let mut receipt = Receipt::decode(&block.data).unwrap();
            assert_eq!(receipt.block().cid, block.cid, "{file}: our receipt encoding differs");
            let key = key_for(&receipt.issuer).map(str::to_owned);
            receipt.verify(key.as_deref()).unwrap_or_else(|e| panic!("{file} {}: {e}", block.cid));
            receipt.signature[20] ^= 1;
            assert!(receipt.verify(key.as_deref()).is_err());
            receipts += 1;
        }
    }
    assert!(ucans >= 50 && receipts >= 8, "{ucans} UCANs, {receipts} receipts");
}

#[test]
fn the_exported_agent_keys_give_their_dids() {
    let s = service();
    assert_eq!(Signer::parse(s["agentKey"].as_str().unwrap()).unwrap().did(), s["agentDid"]);
    let k: serde_json::Value = serde_json::from_slice(&fs::read(data("clideleg-key.json")).unwrap()).unwrap();
    assert_eq!(Signer::parse(k["key"].as_str().unwrap()).unwrap().did(), k["did"]);
}

fn expected() -> serde_json::Value {
    serde_json::from_slice(&fs::read(data("inputs/expected.json")).unwrap()).unwrap()
}

#[test]
fn piece_cids_shard_cids_and_put_dids_equal_the_js_client_s() {
    use base64::Engine;
    use ipfs_kit_storacha::BlobDigest;
    let all = expected();
    for name in ["hello", "dir"] {
        let e = &all[name];
        let bytes = fs::read(data(&format!("inputs/{}", e["car"].as_str().unwrap()))).unwrap();
        let blob = BlobDigest::of(&bytes);
        let mh = base64::engine::general_purpose::STANDARD.decode(e["blobMultihashBase64"].as_str().unwrap()).unwrap();
        assert_eq!(blob.multihash().to_bytes(), mh, "{name}");
        assert_eq!(blob.car_cid().to_string(), e["shardCid"], "{name}");
        assert_eq!(blob.raw_cid().to_string(), e["contentCidRaw"], "{name}");
        assert_eq!(blob.put_signer().did(), e["httpPutDerivedDid"], "{name}");
        let mut piece = ipfs_kit_storacha::PieceHasher::new();
        for chunk in bytes.chunks(1000) {
            piece.update(chunk);
        }
        assert_eq!(piece.finish().to_string(), e["pieceCid"], "{name}");
        let index = fs::read(data(&format!("inputs/{}", e["index"]["file"].as_str().unwrap()))).unwrap();
        let index_blob = BlobDigest::of(&index);
        assert_eq!(index_blob.car_cid().to_string(), e["index"]["cid"], "{name}");
        assert_eq!(index_blob.put_signer().did(), e["index"]["httpPutDerivedDid"], "{name}");
    }
}

/// The `http/put` receipt we issue for hello.car is the very block the JS client sent in
/// `ucan/conclude` (007): same derived key, same encoding, deterministic Ed25519.
#[test]
fn our_http_put_receipt_is_the_js_client_s_block() {
    let hello = fs::read(data("inputs/hello.car")).unwrap();
    let blob = ipfs_kit_storacha::BlobDigest::of(&hello);
    let sent: Vec<_> = blocks("js-client-hello").into_iter().filter(|(f, _)| f.starts_with("007-")).collect();
    let js = sent.iter().find_map(|(_, b)| Receipt::decode(&b.data).ok().map(|r| (r, b.cid))).unwrap();
    let ours = blob.put_receipt(js.0.ran);
    assert_eq!(ours.block().cid, js.1);
}
