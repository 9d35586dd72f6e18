//! `ipfs-kit serve` against the IPFS HTTP gateway specs (trustless-gateway, path-gateway), on
//! the gateway conformance suite's own fixtures (`tests/data/gateway-fixtures`): raw blocks and
//! their headers, CAR pathing, `dag-scope`, `entity-bytes`, `dups`, identity CIDs, `format`
//! against `Accept`, files with `Range`, directories, HAMTs, conditional requests, and the
//! hostile requests a server on a network meets.
//!
//! CAR answers are read back with the project's CAR reader, which checks every block against
//! its CID; which blocks they hold is compared with the fixture CARs and the DAG's own links.

mod common;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use cid::Cid;
use common::kit::Kit;
use common::serve::{Response, Server};
use ipfs_kit_car::{CarReader, Limits};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/gateway-fixtures").join(name)
}

/// Imports fixture CARs into the kit's store (no bucket), returning each one's root.
fn import(kit: &Kit, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|n| {
            let out = kit.json(&["car", "import", fixture(n).to_str().unwrap()]);
            out["roots"][0].as_str().unwrap().to_owned()
        })
        .collect()
}

/// The blocks of a CAR answer in order (each checked against its CID by the reader), and
/// whether the CAR ended cleanly.
fn car_blocks(body: &[u8]) -> (Vec<Cid>, Vec<Vec<u8>>, bool) {
    let mut reader = CarReader::new(body, Limits::default()).expect("a CAR header");
    let (mut cids, mut datas) = (Vec::new(), Vec::new());
    loop {
        match reader.next_block() {
            Ok(Some(b)) => {
                cids.push(b.cid);
                datas.push(b.data);
            }
            Ok(None) => return (cids, datas, true),
            Err(_) => return (cids, datas, false),
        }
    }
}

/// The blocks of a fixture CAR.
fn fixture_blocks(name: &str) -> Vec<Cid> {
    car_blocks(&std::fs::read(fixture(name)).unwrap()).0
}

fn cid(text: &str) -> Cid {
    Cid::try_from(text).unwrap()
}

/// `curl -s -D - URL` with headers: a real HTTP client's view of status, headers and body.
fn curl(url: &str, method: &str, headers: &[&str]) -> Response {
    let dir = tempfile::tempdir().unwrap();
    let (head, body) = (dir.path().join("head"), dir.path().join("body"));
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-S", "--max-time", "60", "-D"]).arg(&head).arg("-o").arg(&body);
    if method == "HEAD" {
        cmd.arg("-I");
    }
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd.arg(url).output().expect("run curl");
    assert!(out.status.success(), "curl {url}: {}", String::from_utf8_lossy(&out.stderr));
    let head = std::fs::read_to_string(&head).unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Response { status, headers, body: std::fs::read(&body).unwrap_or_default() }
}

fn sha256_digest(bytes: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).to_vec()
}

#[test]
fn raw_blocks_carry_the_trustless_headers_and_statuses() {
    let kit = Kit::new();
    let roots = import(&kit, &["gateway-raw-block.car", "dir-with-duplicate-files.car"]);
    let server = Server::start(kit.path(), &[]);
    let (dir, block) = (&roots[0], "bafkreihhpc5y2pqvl5rbe5uuyhqjouybfs3rvlmisccgzue2kkt5zq6upq");
    for (query, accept) in [("?format=raw", None), ("", Some("Accept: application/vnd.ipld.raw"))] {
        let url = format!("{}/ipfs/{block}{query}", server.url);
        let r = curl(&url, "GET", accept.as_slice());
        assert_eq!(r.status, 200);
        assert_eq!(sha256_digest(&r.body), cid(block).hash().digest(), "the body is the block");
        assert_eq!(r.header("content-type"), Some("application/vnd.ipld.raw"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("cache-control"), Some("public, max-age=29030400, immutable"));
        assert_eq!(r.header("etag"), Some(format!("\"{block}.raw\"").as_str()));
        assert_eq!(r.header("x-ipfs-path"), Some(format!("/ipfs/{block}").as_str()));
        assert_eq!(r.header("content-disposition"), Some(format!("attachment; filename=\"{block}.bin\"").as_str()));
        assert_eq!(r.header("content-length"), Some(r.body.len().to_string().as_str()));
        assert_eq!(r.header("content-location").is_some(), accept.is_some(), "Content-Location names format=");
        let head = curl(&url, "HEAD", accept.as_slice());
        assert_eq!(head.status, 200);
        assert_eq!(head.header("content-length"), r.header("content-length"));
        let headers: Vec<(&str, &str)> =
            accept.map(|a| ("Accept", a.trim_start_matches("Accept: "))).into_iter().collect();
        assert!(server.head(&format!("/ipfs/{block}{query}"), &headers).body.is_empty());
    }
    let raw = format!("{}/ipfs/{block}?format=raw", server.url);
    // Conditional requests.
    assert_eq!(curl(&raw, "GET", &[&format!("If-None-Match: \"{block}.raw\"")]).status, 304);
    assert_eq!(curl(&raw, "GET", &["If-None-Match: \"something-else\""]).status, 200);
    assert_eq!(curl(&raw, "GET", &["If-Match: \"something-else\""]).status, 412);
    // A CID not held: 404, or 412 under only-if-cached; a dag-pb root of a directory is a block too.
    let absent = "bafkreie7ohywtosou76tasm7j63yigtzxe7d5zqus4zu3j6oltvgtibeom";
    assert_eq!(curl(&format!("{}/ipfs/{absent}?format=raw", server.url), "GET", &[]).status, 404);
    assert_eq!(
        curl(&format!("{}/ipfs/{absent}?format=raw", server.url), "HEAD", &["Cache-Control: only-if-cached"]).status,
        412
    );
    assert_eq!(
        curl(&format!("{}/ipfs/{dir}?format=raw", server.url), "HEAD", &["Cache-Control: only-if-cached"]).status,
        200
    );
    // Not a CID, a codec this gateway does not read, a format it does not produce.
    assert_eq!(curl(&format!("{}/ipfs/not-a-cid?format=raw", server.url), "GET", &[]).status, 400);
    let odd = Cid::new_v1(0x300, *cid(block).hash());
    assert_eq!(curl(&format!("{}/ipfs/{odd}?format=raw", server.url), "GET", &[]).status, 400);
    assert_eq!(curl(&format!("{}/ipfs/{block}?format=dag-json", server.url), "GET", &[]).status, 406);
    assert_eq!(
        curl(&format!("{}/ipfs/{block}", server.url), "GET", &["Accept: application/vnd.ipld.dag-cbor"]).status,
        406
    );
    // The identity CID of nothing is the spec's probe: always there, empty.
    let probe = curl(&format!("{}/ipfs/bafkqaaa?format=raw", server.url), "GET", &[]);
    assert_eq!((probe.status, probe.body.len()), (200, 0));
    // A CID in another multibase (base58btc) names the same block.
    let b58 = cid(block).to_string_of_base(multibase::Base::Base58Btc).unwrap();
    let r = curl(&format!("{}/ipfs/{b58}?format=raw", server.url), "GET", &[]);
    assert_eq!(sha256_digest(&r.body), cid(block).hash().digest());
}

/// The blocks of a fixture CAR by CID.
fn fixture_map(name: &str) -> std::collections::HashMap<Cid, Vec<u8>> {
    let (cids, datas, _) = car_blocks(&std::fs::read(fixture(name)).unwrap());
    cids.into_iter().zip(datas).collect()
}

/// The depth-first walk the spec asks for, computed here from the fixture's own blocks:
/// every block once (`dups=n`) or every time it is linked (`dups=y`).
fn expected_dfs(blocks: &std::collections::HashMap<Cid, Vec<u8>>, root: Cid, dups: bool) -> Vec<Cid> {
    let (mut out, mut seen, mut stack) = (Vec::new(), HashSet::new(), vec![root]);
    while let Some(c) = stack.pop() {
        if !seen.insert(c) && !dups {
            continue;
        }
        out.push(c);
        let links = ipfs_kit_ipld::links(&c, &blocks[&c]).unwrap();
        stack.extend(links.into_iter().rev());
    }
    out
}

fn get_car(server: &Server, path: &str) -> (Response, Vec<Cid>, bool) {
    let r = server.get(path, &[]);
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    let (cids, _, clean) = car_blocks(&r.body);
    (r, cids, clean)
}

#[test]
fn car_answers_follow_the_path_then_the_dag_scope_depth_first() {
    let kit = Kit::new();
    let roots = import(
        &kit,
        &[
            "subdir-with-mixed-block-files.car",
            "single-layer-hamt-with-multi-block-files.car",
            "dir-with-dag-cbor-with-links.car",
        ],
    );
    let server = Server::start(kit.path(), &[]);
    let blocks = fixture_map("subdir-with-mixed-block-files.car");
    let root = cid(&roots[0]);
    let links = |c: &Cid| ipfs_kit_ipld::links(c, &blocks[c]).unwrap();
    let subdir = links(&root)[0];
    let multiblock = cid("bafybeigcisqd7m5nf3qmuvjdbakl5bdnh4ocrmacaqkpuh77qjvggmt2sa");

    // block: the path's blocks and the terminal block, nothing below it.
    let (r, got, clean) = get_car(&server, &format!("/ipfs/{root}/subdir/multiblock.txt?format=car&dag-scope=block"));
    assert!(clean);
    assert_eq!(got, vec![root, subdir, multiblock]);
    assert_eq!(r.header("content-type"), Some("application/vnd.ipld.car; version=1; order=dfs; dups=n"));
    assert_eq!(r.header("content-disposition"), Some(format!("attachment; filename=\"{multiblock}.car\"").as_str()));
    assert!(r.header("etag").unwrap().starts_with(&format!("W/\"{multiblock}.car.")));
    let roots_header = CarReader::new(&r.body[..], Limits::default()).unwrap().roots().to_vec();
    assert_eq!(roots_header, vec![root]);

    // entity of a file: the whole file, leaves in order.
    let (_, got, _) = get_car(&server, &format!("/ipfs/{root}/subdir/multiblock.txt?format=car&dag-scope=entity"));
    let mut want = vec![root, subdir, multiblock];
    want.extend(links(&multiblock));
    assert_eq!(got, want);
    // entity of a directory: its node only.
    let (_, got, _) = get_car(&server, &format!("/ipfs/{root}/subdir?format=car&dag-scope=entity"));
    assert_eq!(got, vec![root, subdir]);
    // all: everything below the terminal, depth first, each block once.
    let (_, got, _) = get_car(&server, &format!("/ipfs/{root}?format=car"));
    assert_eq!(got, expected_dfs(&blocks, root, false));
    assert_eq!(
        got.iter().collect::<HashSet<_>>(),
        fixture_blocks("subdir-with-mixed-block-files.car").iter().collect()
    );
    // Each scope gives its own Etag.
    let etags: HashSet<String> = ["block", "entity", "all"]
        .iter()
        .map(|s| {
            server.get(&format!("/ipfs/{root}/subdir?format=car&dag-scope={s}"), &[]).header("etag").unwrap().to_owned()
        })
        .collect();
    assert_eq!(etags.len(), 3);

    // A HAMT: a path through it carries the shards it crosses; entity of it is all of its
    // shards (what a client needs to list it), none of its files.
    let hamt = cid(&roots[1]);
    let hamt_blocks = fixture_map("single-layer-hamt-with-multi-block-files.car");
    let is_shard = |c: &Cid| {
        c.codec() == 0x70 && {
            let node = ipfs_kit_unixfs::pb::PbNode::decode(&hamt_blocks[c]).unwrap();
            let data = node.data.unwrap();
            ipfs_kit_unixfs::data::UnixFsData::decode(&data).unwrap().kind == ipfs_kit_unixfs::data::DataType::HamtShard
        }
    };
    let (_, got, _) = get_car(&server, &format!("/ipfs/{hamt}/685.txt?format=car&dag-scope=block"));
    assert_eq!((got[0], *got.last().unwrap()), (hamt, multiblock));
    assert!(got[1..got.len() - 1].iter().all(is_shard), "between them, only shards");
    let (_, got, _) = get_car(&server, &format!("/ipfs/{hamt}?format=car&dag-scope=entity"));
    let shards: Vec<Cid> = expected_dfs(&hamt_blocks, hamt, false).into_iter().filter(is_shard).collect();
    assert!(shards.len() > 1);
    assert_eq!(got, shards, "entity of a HAMT: every shard, depth first");
    let (_, got, _) = get_car(&server, &format!("/ipfs/{hamt}?format=car"));
    assert_eq!(got, expected_dfs(&hamt_blocks, hamt, false));

    // DAG-CBOR links are followed by `all`.
    let cbor_root = cid(&roots[2]);
    let cbor_blocks = fixture_map("dir-with-dag-cbor-with-links.car");
    let (_, got, _) = get_car(&server, &format!("/ipfs/{cbor_root}?format=car&dag-scope=all"));
    assert_eq!(got, expected_dfs(&cbor_blocks, cbor_root, false));
    assert!(got.iter().any(|c| c.codec() == 0x71), "the DAG-CBOR blocks are in the CAR");

    // A name that is not there: 404, not a CAR.
    assert_eq!(server.get(&format!("/ipfs/{root}/subdir/nope.txt?format=car"), &[]).status, 404);
}

#[test]
fn dups_and_identity_cids_are_written_as_the_spec_says() {
    let kit = Kit::new();
    let roots = import(&kit, &["dir-with-duplicate-files.car"]);
    let server = Server::start(kit.path(), &[]);
    let blocks = fixture_map("dir-with-duplicate-files.car");
    let root = cid(&roots[0]);
    let (r, once, _) = get_car(&server, &format!("/ipfs/{root}?format=car&dag-scope=all"));
    assert_eq!(once, expected_dfs(&blocks, root, false));
    assert_eq!(once.len(), once.iter().collect::<HashSet<_>>().len(), "dups=n: no block twice");
    let dups_n_etag = r.header("etag").unwrap().to_owned();
    for (query, accept) in [
        ("?format=car&car-dups=y", None),
        ("", Some("application/vnd.ipld.car; version=1; order=dfs; dups=y")),
        ("?format=car&car-dups=y", Some("application/vnd.ipld.car; dups=n")),
    ] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("Accept", a)).into_iter().collect();
        let r = server.get(&format!("/ipfs/{root}{query}"), &headers);
        assert_eq!(
            r.header("content-type"),
            Some("application/vnd.ipld.car; version=1; order=dfs; dups=y"),
            "{query} {accept:?}"
        );
        let (twice, _, clean) = car_blocks(&r.body);
        assert!(clean);
        assert_eq!(twice, expected_dfs(&blocks, root, true), "dups=y: every block every time");
        assert!(twice.len() > once.len(), "the duplicate file's block comes twice");
        assert_ne!(r.header("etag").unwrap(), dups_n_etag);
    }
    // The URL's car-dups wins over Accept's.
    let r = server.get(&format!("/ipfs/{root}?car-dups=n"), &[("Accept", "application/vnd.ipld.car; dups=y")]);
    assert_eq!(r.header("content-type"), Some("application/vnd.ipld.car; version=1; order=dfs; dups=n"));
    // format wins over Accept.
    let r = server.get(&format!("/ipfs/{root}?format=raw"), &[("Accept", "application/vnd.ipld.car")]);
    assert_eq!(r.header("content-type"), Some("application/vnd.ipld.raw"));
    assert_eq!(r.body, blocks[&root]);

    // A directory linking an identity CID: the identity block is never written.
    use ipfs_kit_unixfs::data::{DataType, UnixFsData};
    use ipfs_kit_unixfs::pb::{PbLink, PbNode};
    let inline = Cid::new_v1(0x55, cid::multihash::Multihash::wrap(0, b"inline bytes").unwrap());
    let stored = b"stored bytes".to_vec();
    let stored_cid = Cid::new_v1(0x55, cid::multihash::Multihash::wrap(0x12, &sha256_digest(&stored)).unwrap());
    let node = PbNode {
        links: vec![PbLink::named("inline.txt", inline, 12), PbLink::named("stored.txt", stored_cid, 12)],
        data: Some(UnixFsData::new(DataType::Directory).encode()),
    };
    let dir_bytes = node.encode();
    let dir = Cid::new_v1(0x70, cid::multihash::Multihash::wrap(0x12, &sha256_digest(&dir_bytes)).unwrap());
    let car_path = kit.path().join("identity.car");
    let mut writer = ipfs_kit_car::CarWriter::new(std::fs::File::create(&car_path).unwrap(), &[dir]).unwrap();
    writer.put(&dir, &dir_bytes).unwrap();
    writer.put(&stored_cid, &stored).unwrap();
    writer.finish().unwrap();
    kit.ok(&["car", "import", car_path.to_str().unwrap()]);
    let (_, got, clean) = get_car(&server, &format!("/ipfs/{dir}?format=car&car-dups=y"));
    assert!(clean);
    assert_eq!(got, vec![dir, stored_cid], "no identity CID in the CAR");
    let r = server.get(&format!("/ipfs/{dir}/inline.txt"), &[]);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"inline bytes"[..]));
}

#[test]
fn entity_bytes_send_only_the_blocks_of_the_range_and_a_missing_block_cuts_the_stream() {
    let kit = Kit::new();
    let roots = import(&kit, &["file-3k-and-3-blocks-missing-block.car"]);
    let server = Server::start(kit.path(), &[]);
    let blocks = fixture_map("file-3k-and-3-blocks-missing-block.car");
    let root = cid(&roots[0]);
    let leaves = ipfs_kit_ipld::links(&root, &blocks[&root]).unwrap();
    assert_eq!(leaves.len(), 3);
    assert!(!blocks.contains_key(&leaves[1]), "the fixture lacks the middle block");
    let car = |range: &str| server.get(&format!("/ipfs/{root}?format=car&entity-bytes={range}"), &[]);
    for (range, want) in [
        ("0:1023", vec![root, leaves[0]]),
        ("2048:*", vec![root, leaves[2]]),
        ("-1024:*", vec![root, leaves[2]]),
        ("2048:-1", vec![root, leaves[2]]),
        ("0:0", vec![root, leaves[0]]),
    ] {
        let r = car(range);
        assert_eq!(r.status, 200, "{range}");
        let (got, _, clean) = car_blocks(&r.body);
        assert!(clean, "{range}: a complete CAR");
        assert_eq!(got, want, "{range}");
    }
    // A range that needs the missing block: the blocks before it, then the stream is cut.
    for range in ["0:*", "1000:1100", "1024:2047"] {
        let out = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "--max-time", "30"])
            .arg(format!("{}/ipfs/{root}?format=car&entity-bytes={range}", server.url))
            .status()
            .unwrap();
        assert!(!out.success(), "{range}: the CAR must not end as if complete");
    }
    // Entirely past the end: 400; an empty range inside: the root block alone.
    assert_eq!(car("4000:*").status, 400);
    assert_eq!(car_blocks(&car("2000:-2000").body).0, vec![root]);
    assert_eq!(server.get(&format!("/ipfs/{root}?format=car&entity-bytes=x:1"), &[]).status, 400);
    // The path gateway: ranges around the hole work, the whole file is cut short.
    let r = server.get(&format!("/ipfs/{root}"), &[("Range", "bytes=2048-3071")]);
    assert_eq!((r.status, r.body.len()), (206, 1024));
    assert_eq!(r.header("content-range"), Some("bytes 2048-3071/3072"));
    let whole = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "--max-time", "30"])
        .arg(format!("{}/ipfs/{root}", server.url))
        .status()
        .unwrap();
    assert_eq!(whole.code(), Some(18), "curl: a partial file (the body ended before its Content-Length)");
    // And the server is still up.
    assert_eq!(server.get("/ipfs/bafkqaaa?format=raw", &[]).status, 200);
}
