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

use ipfs_kit_storacha::{BlobDigest, Message, Proof, invoke, message};

fn agent() -> Signer {
    Signer::parse(service()["agentKey"].as_str().unwrap()).unwrap()
}

fn service_did() -> String {
    service()["serviceDid"].as_str().unwrap().to_owned()
}

/// The captured request `file` and its (single) invocation.
fn captured(file: &str) -> (Vec<u8>, Ucan) {
    let bytes = fs::read(data(&format!("js-client-hello/{file}"))).unwrap();
    let msg = Message::decode(&bytes).unwrap();
    let inv = msg.invocation(&msg.execute[0]).unwrap();
    (bytes, inv)
}

#[test]
fn both_proof_forms_give_the_same_delegation() {
    let car = Proof::parse(&fs::read(data("js-client-hello/000-space-proof.car")).unwrap()).unwrap();
    // The harness prints the archive as plain base64, without the identity-CID wrapping.
    let b64 = Proof::parse(service()["spaceProof"].as_str().unwrap().as_bytes()).unwrap();
    assert_eq!(car.cid, b64.cid);
    assert_eq!(car.space(), service()["space"].as_str());
    let cli_car = Proof::parse(&fs::read(data("clideleg-proof.car")).unwrap()).unwrap();
    let cli_b64 = Proof::parse(&fs::read(data("clideleg-proof.b64")).unwrap()).unwrap();
    assert_eq!(cli_car.cid, cli_b64.cid);
    assert_eq!(cli_car.blocks.len(), cli_b64.blocks.len());
    let key: serde_json::Value = serde_json::from_slice(&fs::read(data("clideleg-key.json")).unwrap()).unwrap();
    assert_eq!(cli_car.delegation.payload.audience, key["did"]);
}

#[test]
fn our_space_blob_add_request_is_the_js_client_s_bytes() {
    let (bytes, js) = captured("001-space_blob_add-request.car");
    let proof = Proof::parse(&fs::read(data("js-client-hello/000-space-proof.car")).unwrap()).unwrap();
    let blob = BlobDigest::of(&fs::read(data("inputs/hello.car")).unwrap());
    let cap = invoke::space_blob_add(proof.space().unwrap(), &blob);
    let ours = invoke::invoke(&agent(), &service_did(), cap, vec![proof.cid], js.payload.expiration, vec![]).unwrap();
    assert_eq!(ours.block().unwrap().cid, js.block().unwrap().cid);
    assert_eq!(message::encode_request(&[ours.block().unwrap()], &proof.blocks).unwrap(), bytes);
}

#[test]
fn our_ucan_conclude_request_is_the_js_client_s_bytes() {
    let (bytes, js) = captured("007-ucan_conclude-request.car");
    let blob = BlobDigest::of(&fs::read(data("inputs/hello.car")).unwrap());
    let msg = Message::decode(&bytes).unwrap();
    let js_receipt = msg.blocks.iter().find_map(|(_, b)| Receipt::decode(b).ok()).unwrap();
    let receipt = blob.put_receipt(js_receipt.ran).block();
    let agent = agent();
    let cap = invoke::ucan_conclude(agent.did(), receipt.cid);
    let facts = invoke::ucan_conclude_facts(receipt.cid);
    let ours = invoke::invoke(&agent, &service_did(), cap, vec![], None, facts).unwrap();
    assert_eq!(js.payload.expiration, None);
    assert_eq!(message::encode_request(&[ours.block().unwrap()], &[receipt]).unwrap(), bytes);
}

#[test]
fn upload_add_and_filecoin_offer_match_the_js_client_s_invocations() {
    let e = expected();
    let proof = Proof::parse(&fs::read(data("js-client-hello/000-space-proof.car")).unwrap()).unwrap();
    let blob = BlobDigest::of(&fs::read(data("inputs/hello.car")).unwrap());
    let agent = agent();
    let (_, js) = captured("017-upload_add-request.car");
    let root = e["hello"]["root"].as_str().unwrap().parse().unwrap();
    let cap = invoke::upload_add(proof.space().unwrap(), root, &[blob.car_cid()]);
    let ours = invoke::invoke(&agent, &service_did(), cap, vec![proof.cid], js.payload.expiration, vec![]).unwrap();
    assert_eq!(ours.block().unwrap().cid, js.block().unwrap().cid);
    let (_, js) = captured("015-filecoin_offer-request.car");
    let piece = e["hello"]["pieceCid"].as_str().unwrap().parse().unwrap();
    let cap = invoke::filecoin_offer(agent.did(), blob.raw_cid(), piece);
    let ours =
        invoke::invoke(&agent, &service_did(), cap, js.payload.proofs.clone(), js.payload.expiration, vec![]).unwrap();
    assert_eq!(ours.block().unwrap().cid, js.block().unwrap().cid);
    let (_, js) = captured("016-space_index_add-request.car");
    let index = e["hello"]["index"]["cid"].as_str().unwrap().parse().unwrap();
    let cap = invoke::space_index_add(proof.space().unwrap(), index);
    let ours = invoke::invoke(&agent, &service_did(), cap, vec![proof.cid], js.payload.expiration, vec![]).unwrap();
    assert_eq!(ours.block().unwrap().cid, js.block().unwrap().cid);
}

#[test]
fn the_blob_add_response_yields_the_put_address_and_the_accept_task() {
    let (_, js) = captured("001-space_blob_add-request.car");
    let bytes = fs::read(data("js-client-hello/001-space_blob_add-response.car")).unwrap();
    let msg = Message::decode(&bytes).unwrap();
    let receipt = msg.receipt(&js.block().unwrap().cid).unwrap();
    let site = receipt.out.as_ref().unwrap().get("site").unwrap();
    let accept = site.get("ucan/await").unwrap().as_list().unwrap()[1].as_link().unwrap();
    let tasks: Vec<_> = receipt.fork.iter().map(|c| msg.invocation(c).unwrap()).collect();
    let can = |t: &Ucan| t.payload.capabilities[0].can.clone();
    let allocate = receipt.fork.iter().zip(&tasks).find(|(_, t)| can(t) == "blob/allocate").unwrap().0;
    assert!(receipt.fork.iter().zip(&tasks).any(|(c, t)| c == accept && can(t) == "blob/accept"));
    let alloc = msg.find_receipt(allocate).expect("the allocate receipt, through ucan/conclude");
    let address = alloc.out.as_ref().unwrap().get("address").unwrap();
    assert!(address.get("url").and_then(Value::as_str).unwrap().contains(".blob"));
    assert!(address.get("headers").unwrap().get("x-amz-checksum-sha256").is_some());
}

#[test]
fn our_index_cars_are_the_js_client_s_bytes() {
    use ipfs_kit_storacha::index::{ShardSlices, encode_index};
    let e = expected();
    for name in ["hello", "dir"] {
        let car = fs::read(data(&format!("inputs/{name}.car"))).unwrap();
        let shard = ShardSlices::read(&car[..]).unwrap();
        assert_eq!(shard.shard, BlobDigest::of(&car));
        let root = e[name]["root"].as_str().unwrap().parse().unwrap();
        let ours = encode_index(root, &[shard]).unwrap();
        assert_eq!(ours, fs::read(data(&format!("inputs/{name}.index.car"))).unwrap(), "{name}");
    }
}
