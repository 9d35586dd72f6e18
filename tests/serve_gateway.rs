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
        curl(&format!("{}/ipfs/{absent}?format=car", server.url), "GET", &[]).status,
        404,
        "no 200 before the root"
    );
    assert_eq!(curl(&format!("{}/ipfs/{absent}/x", server.url), "GET", &[]).status, 404);
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

#[test]
fn the_path_gateway_serves_files_ranges_listings_and_hamts() {
    let kit = Kit::new();
    let roots = import(&kit, &["dir-with-duplicate-files.car", "single-layer-hamt-with-multi-block-files.car"]);
    let server = Server::start(kit.path(), &[]);
    let (dir, hamt) = (&roots[0], &roots[1]);
    let url = |p: &str| format!("{}{p}", server.url);
    let hello = curl(&url(&format!("/ipfs/{dir}/hello.txt")), "GET", &[]);
    let hello_cid = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4";
    assert_eq!(hello.status, 200);
    assert_eq!(sha256_digest(&hello.body), cid(hello_cid).hash().digest());
    assert_eq!(hello.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(hello.header("etag"), Some(format!("\"{hello_cid}\"").as_str()));
    assert_eq!(hello.header("x-ipfs-roots"), Some(format!("{dir},{hello_cid}").as_str()));
    assert_eq!(hello.header("accept-ranges"), Some("bytes"));
    assert_eq!(hello.header("cache-control"), Some("public, max-age=29030400, immutable"));
    let n = hello.body.len();
    for (range, from, to) in [("bytes=0-4", 0, 5), ("bytes=6-", 6, n), ("bytes=-3", n - 3, n), ("bytes=2-999", 2, n)] {
        let r = curl(&url(&format!("/ipfs/{dir}/hello.txt")), "GET", &[&format!("Range: {range}")]);
        assert_eq!(r.status, 206, "{range}");
        assert_eq!(r.body, hello.body[from..to], "{range}");
        assert_eq!(r.header("content-range"), Some(format!("bytes {from}-{}/{n}", to - 1).as_str()), "{range}");
    }
    let past = curl(&url(&format!("/ipfs/{dir}/hello.txt")), "GET", &["Range: bytes=500-"]);
    assert_eq!(past.status, 416);
    assert_eq!(past.header("content-range"), Some(format!("bytes */{n}").as_str()));
    // A multi-block file, across block edges.
    let whole = server.get(&format!("/ipfs/{dir}/multiblock.txt"), &[]).body;
    for (a, b) in [(0, whole.len() - 1), (100, 900), (255, 256), (1000, whole.len() - 1)] {
        let r = server.get(&format!("/ipfs/{dir}/multiblock.txt"), &[("Range", &format!("bytes={a}-{b}"))]);
        assert_eq!(r.body, whole[a..=b], "{a}-{b}");
    }
    // Directories: a redirect to the slash form, then a listing naming every entry.
    let r = curl(&url(&format!("/ipfs/{dir}")), "GET", &[]);
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some(format!("/ipfs/{dir}/").as_str()));
    let listing = server.get(&format!("/ipfs/{dir}/"), &[]);
    assert_eq!(listing.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(listing.header("etag").unwrap().starts_with("\"DirIndex-"));
    for name in ["ascii-copy.txt", "ascii.txt", "hello.txt", "multiblock.txt"] {
        assert!(listing.text().contains(&format!("href=\"{name}\"")), "{name} listed");
    }
    // A HAMT directory: listed whole, and each name found through its shards.
    let listing = server.get(&format!("/ipfs/{hamt}/"), &[]).text();
    let hamt_names = kit.ok(&["car", "ls", fixture("single-layer-hamt-with-multi-block-files.car").to_str().unwrap()]);
    for line in hamt_names.lines() {
        let name = line.split('\t').nth(2).unwrap();
        assert!(listing.contains(&format!("href=\"{name}\"")), "{name} listed");
    }
    assert_eq!(server.get(&format!("/ipfs/{hamt}/685.txt"), &[]).body, whole);
    assert_eq!(server.get(&format!("/ipfs/{hamt}/no-such.txt"), &[]).status, 404);
    // A file has no names below it.
    assert_eq!(server.get(&format!("/ipfs/{dir}/hello.txt/x"), &[]).status, 404);
}

#[test]
fn buckets_and_snapshots_are_served_by_name_while_writers_go_on() {
    let kit = Kit::new();
    let tree = tempfile::tempdir().unwrap();
    let src = tree.path();
    common::write(src, "notes.txt", b"first version\n");
    common::write(src, "site/index.html", b"<!doctype html><h1>site</h1>\n");
    common::write(src, "site/about.txt", b"about\n");
    common::write(src, "a b/\u{e9}&+\".txt", b"odd name\n");
    std::os::unix::fs::symlink("site", src.join("link")).unwrap();
    kit.ok(&["bucket", "create", "docs"]);
    let names: Vec<String> =
        ["notes.txt", "site", "a b", "link"].iter().map(|n| src.join(n).to_str().unwrap().to_owned()).collect();
    let mut args = vec!["bucket", "add", "docs"];
    args.extend(names.iter().map(String::as_str));
    kit.ok(&args);
    let snap = kit.json(&["bucket", "snapshot"]);
    let snap_id = snap["snapshot_id"].as_str().unwrap().to_owned();
    let old_root = kit.root("docs");
    let server = Server::start(kit.path(), &[]);

    // Writes go on while the server runs (it never takes the writer lock).
    common::write(src, "notes.txt", b"second version\n");
    kit.ok(&["bucket", "add", "docs", src.join("notes.txt").to_str().unwrap()]);
    let root = kit.root("docs");
    assert_ne!(root, old_root);

    let now = server.get("/bucket/docs/notes.txt", &[]);
    assert_eq!((now.status, now.body.as_slice()), (200, &b"second version\n"[..]));
    assert_eq!(now.header("x-ipfs-roots").unwrap().split(',').next(), Some(root.as_str()));
    assert_eq!(now.header("cache-control"), Some("no-cache"));
    let then = server.get(&format!("/snapshot/{snap_id}/docs/notes.txt"), &[]);
    assert_eq!((then.status, then.body.as_slice()), (200, &b"first version\n"[..]));
    assert_eq!(then.header("x-ipfs-roots").unwrap().split(',').next(), Some(old_root.as_str()));
    assert_eq!(then.header("cache-control"), Some("public, max-age=29030400, immutable"));
    // The snapshot's global CID names it too.
    let global = snap["global_hash"].as_str().unwrap();
    assert_eq!(server.get(&format!("/snapshot/{global}/docs/notes.txt"), &[]).body, b"first version\n");
    // index.html stands for its directory; names that need escaping work.
    let site = server.get("/bucket/docs/site/", &[]);
    assert_eq!(site.body, b"<!doctype html><h1>site</h1>\n");
    assert_eq!(site.header("content-type"), Some("text/html; charset=utf-8"));
    let redirect = curl(&format!("{}/bucket/docs/site", server.url), "GET", &[]);
    assert_eq!((redirect.status, redirect.header("location")), (301, Some("/bucket/docs/site/")));
    assert_eq!(server.get("/bucket/docs/a%20b/%C3%A9%26%2B%22.txt", &[]).body, b"odd name\n");
    // A symlink is answered as itself, never followed.
    let link = server.get("/bucket/docs/link", &[]);
    assert_eq!((link.body.as_slice(), link.header("content-type")), (&b"site"[..], Some("inode/symlink")));
    assert_eq!(server.get("/bucket/docs/link/about.txt", &[]).status, 404);
    assert_eq!(server.get(&format!("/ipfs/{root}/link/about.txt"), &[]).status, 404);
    // Names that are not there.
    assert_eq!(server.get("/bucket/nope/notes.txt", &[]).status, 404);
    assert_eq!(server.get(&format!("/snapshot/{snap_id}/nope/x"), &[]).status, 404);
    assert_eq!(server.get("/snapshot/snapshot_19990101_000000_zzz/docs/x", &[]).status, 404);
}

/// Sends raw bytes on a fresh connection and returns the status line's code (0 when the
/// server closed the connection without an answer).
fn raw_status(server: &Server, request: &[u8]) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let _ = s.write_all(request);
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

#[test]
fn hostile_requests_get_their_status_and_slow_clients_are_dropped() {
    let kit = Kit::new();
    let tree = tempfile::tempdir().unwrap();
    common::write(tree.path(), "a/open.txt", b"open\n");
    common::write(tree.path(), "b/secret.txt", b"secret\n");
    for b in ["a", "b"] {
        kit.ok(&["bucket", "create", b]);
        kit.ok(&[
            "bucket",
            "add",
            b,
            tree.path().join(b).join(if b == "a" { "open.txt" } else { "secret.txt" }).to_str().unwrap(),
        ]);
    }
    let root = kit.root("a");
    let server = Server::start(kit.path(), &["--header-timeout", "2"]);
    let get = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").into_bytes();
    for path in [
        format!("/ipfs/{root}/../../../etc/passwd"),
        format!("/ipfs/{root}/%2e%2e/%2e%2e/etc/passwd"),
        format!("/ipfs/{root}/%2E%2E"),
        format!("/ipfs/{root}/a%2fb"),
        format!("/ipfs/{root}/%00"),
        "/bucket/a/%2e%2e/%2e%2e/b/secret.txt".to_owned(),
        "/bucket/a/../b/secret.txt".to_owned(),
    ] {
        assert_eq!(raw_status(&server, &get(&path)), 400, "{path}");
    }
    for path in ["/bucket/..%2fb/secret.txt", "/etc/passwd", "/ipfs", "/snapshot/x"] {
        assert_eq!(raw_status(&server, &get(path)), 404, "{path}");
    }
    // DNS rebinding: a page whose name now points at 127.0.0.1 is refused without --public.
    let rebound =
        format!("GET /bucket/a/open.txt HTTP/1.1\r\nHost: evil.example:{}\r\nConnection: close\r\n\r\n", server.port);
    assert_eq!(raw_status(&server, rebound.as_bytes()), 403);
    let post =
        format!("POST /ipfs/{root} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    assert_eq!(raw_status(&server, post.as_bytes()), 405);
    // A head far too large is refused (431) or the connection closed; never served.
    let big = format!("GET /ipfs/{root} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {}\r\n\r\n", "a".repeat(1 << 20));
    assert!(matches!(raw_status(&server, big.as_bytes()), 431 | 400 | 0));

    // 1,000 clients that send half a request and wait: the server answers others meanwhile,
    // and drops each of them once its header timeout (2 s here) passes.
    let started = Instant::now();
    let mut slow: Vec<TcpStream> = (0..1000)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
            s.write_all(b"GET /ipfs/bafkqaaa HTTP/1.1\r\nHost: 127.0.0.1\r\n").unwrap();
            s
        })
        .collect();
    let during = Instant::now();
    assert_eq!(server.get("/bucket/a/open.txt", &[]).body, b"open\n");
    assert!(during.elapsed() < Duration::from_secs(5), "served beside the slow clients");
    let mut closed = 0;
    for s in &mut slow {
        s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        let mut buf = [0u8; 512];
        match s.read(&mut buf) {
            Ok(_) => closed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => closed += 1,
            Err(e) => panic!("a slow client was not dropped: {e}"),
        }
    }
    assert_eq!(closed, 1000);
    assert!(started.elapsed() < Duration::from_secs(20), "dropped in {:?}", started.elapsed());
    assert_eq!(server.get("/bucket/a/open.txt", &[]).body, b"open\n", "still up");
}

#[test]
fn a_block_collected_mid_response_ends_it_and_never_changes_it() {
    let kit = Kit::new();
    let tree = tempfile::tempdir().unwrap();
    let mut rng = common::Rng::new(7);
    let data: Vec<u8> = (0..24 << 20).map(|_| rng.next_u64() as u8).collect();
    let file = common::write(tree.path(), "big.bin", &data);
    kit.ok(&["bucket", "create", "big"]);
    kit.ok(&["bucket", "add", "big", file.to_str().unwrap()]);
    let server = Server::start(kit.path(), &[]);
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(b"GET /bucket/big/big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut got = vec![0u8; 1 << 20];
    s.read_exact(&mut got).unwrap();
    // Collect the file's blocks while the answer is half sent.
    kit.ok(&["bucket", "rm-file", "big", "big.bin"]);
    let gc = kit.json(&["gc"]);
    assert!(gc["dead_blocks"].as_u64().unwrap() > 20, "gc collected the file: {gc}");
    let _ = s.read_to_end(&mut got);
    let at = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let body = &got[at..];
    assert!(body.len() <= data.len() && body == &data[..body.len()], "what was sent is the file's bytes");
    eprintln!("sent {} of {} bytes before the blocks went", body.len(), data.len());
    assert_eq!(server.get("/bucket/big/big.bin", &[]).status, 404);
    assert_eq!(server.get("/ipfs/bafkqaaa?format=raw", &[]).status, 200, "still up");
}

#[test]
fn bad_serve_configurations_fail_in_one_line() {
    let kit = Kit::new();
    kit.ok(&["bucket", "create", "docs"]);
    kit.fails(&["serve", "--listen", "0.0.0.0:0"], "needs --public");
    kit.fails(&["serve", "--listen", "0.0.0.0:0", "--public"], "--bucket");
    kit.fails(&["serve", "--bucket", "nope"], "no bucket named \"nope\"");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    kit.fails(&["serve", "--listen", &addr], "Address already in use");
    let nowhere = tempfile::tempdir().unwrap();
    let out = common::ipfs_kit(&["--home", nowhere.path().join("none").to_str().unwrap(), "serve"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no ipfs-kit home"));
}
