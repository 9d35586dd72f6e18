//! `ipfs-kit pull` from a trustless gateway on 127.0.0.1, serving the blocks of a CAR that
//! ipfs-car packed: the root and the bytes come back; a flipped byte, an unrelated DAG and a
//! cut-off response are each handled as the trustless-gateway spec and issue 9 ask.
//!
//! The gateway is this file's own (std only): `GET /ipfs/{cid}?format=car` answers a CARv1 of
//! the DAG under `cid` in depth-first order (as `order=dfs` asks; ipfs-car's own files put
//! the root last), `?format=raw` one block; a [`Fault`] changes the CAR answers.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use cid::Cid;
use common::kit::Kit;
use common::{Rng, assert_same_tree, interop_dir, peers_available, write};
use ipfs_kit_car::{CarReader, CarWriter, Limits};

#[derive(Clone, Copy, PartialEq)]
enum Fault {
    None,
    /// One byte of the last leaf's data is flipped in CAR answers.
    Flip,
    /// CAR answers carry another DAG's blocks under the requested root.
    Unrelated,
    /// CAR answers stop (the connection closes) inside the block after this many.
    CutAfter(usize),
}

type Blocks = HashMap<Vec<u8>, (Cid, Vec<u8>)>;

struct Gateway {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

fn read_car(path: &Path) -> (Cid, Blocks) {
    let bytes = std::fs::read(path).unwrap();
    let mut reader = CarReader::new(&bytes[..], Limits::default()).unwrap();
    let root = reader.roots()[0];
    let mut blocks = HashMap::new();
    while let Some(b) = reader.next_block().unwrap() {
        blocks.insert(b.cid.hash().to_bytes(), (b.cid, b.data));
    }
    (root, blocks)
}

/// The blocks under `root`, depth-first, parents first, each once.
fn dfs(blocks: &Blocks, root: &Cid) -> Vec<(Cid, Vec<u8>)> {
    let (mut out, mut seen, mut stack) = (Vec::new(), std::collections::HashSet::new(), vec![*root]);
    while let Some(cid) = stack.pop() {
        if !seen.insert(cid.hash().to_bytes()) {
            continue;
        }
        let Some((cid, data)) = blocks.get(&cid.hash().to_bytes()) else { continue };
        let links = ipfs_kit_ipld::links(cid, data).unwrap();
        stack.extend(links.into_iter().rev());
        out.push((*cid, data.clone()));
    }
    out
}

fn car_answer(blocks: &Blocks, other: &Blocks, other_root: &Cid, cid: &Cid, fault: Fault) -> Vec<u8> {
    let mut list = if fault == Fault::Unrelated { dfs(other, other_root) } else { dfs(blocks, cid) };
    if fault == Fault::Flip
        && let Some(last) = list.iter_mut().rev().find(|(c, _)| c.codec() == 0x55)
    {
        last.1[0] ^= 1;
    }
    let mut out = Vec::new();
    let mut writer = CarWriter::new(&mut out, &[*cid]).unwrap();
    for (c, data) in &list {
        writer.put(c, data).unwrap();
    }
    writer.finish().unwrap();
    if let Fault::CutAfter(n) = fault {
        let mut reader = CarReader::new(&out[..], Limits::default()).unwrap();
        let starts: Vec<u64> = std::iter::from_fn(|| reader.next_block().unwrap()).map(|b| b.offset).collect();
        // Inside block n: blocks 0..n arrive whole.
        let cut = starts[n] as usize + 10;
        out.truncate(cut);
    }
    out
}

impl Gateway {
    fn start(car: &Path, other_car: &Path, fault: Fault) -> Gateway {
        let (_, blocks) = read_car(car);
        let (other_root, other) = read_car(other_car);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut line = String::new();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                }
                let target = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                log.lock().unwrap().push(target.clone());
                let (path, query) = target.split_once('?').unwrap_or((&target, ""));
                let cid: Option<Cid> = path.strip_prefix("/ipfs/").and_then(|c| c.parse().ok());
                let answer = match cid {
                    None => None,
                    Some(cid) if query.contains("format=car") => Some((
                        "application/vnd.ipld.car; version=1; order=dfs; dups=n",
                        car_answer(&blocks, &other, &other_root, &cid, fault),
                    )),
                    Some(cid) => {
                        blocks.get(&cid.hash().to_bytes()).map(|(_, data)| ("application/vnd.ipld.raw", data.clone()))
                    }
                };
                let _ = match answer {
                    // Close-delimited, as a gateway streaming a CAR of unknown length answers.
                    Some((ct, body)) => stream
                        .write_all(
                            format!("HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nConnection: close\r\n\r\n").as_bytes(),
                        )
                        .and_then(|()| stream.write_all(&body)),
                    None => stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
                    ),
                };
            }
        });
        Gateway { url, requests }
    }

    fn count(&self, format: &str) -> usize {
        self.requests.lock().unwrap().iter().filter(|r| r.contains(&format!("format={format}"))).count()
    }
}

/// A tree, packed by ipfs-car; returns the tree, the CAR and the root ipfs-car printed.
fn packed(seed: u64) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    let mut rng = Rng::new(seed);
    write(&tree, "a.txt", b"hello from the gateway\n");
    write(&tree, "sub/big.bin", &rng.bytes(3_500_000));
    write(&tree, "sub/deeper/c.txt", &rng.bytes(700));
    let car = dir.path().join("tree.car");
    let out = Command::new(interop_dir().join("node_modules/.bin/ipfs-car"))
        .args(["pack", tree.to_str().unwrap(), "--no-wrap", "-o", car.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "ipfs-car: {}", String::from_utf8_lossy(&out.stderr));
    let root = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    (dir, car, root)
}

#[test]
fn a_pull_from_a_gateway_brings_back_ipfs_car_s_root_and_bytes_and_resumes_to_nothing() {
    if !peers_available() {
        return;
    }
    let (dir, car, root) = packed(1);
    let (_o, other_car, _) = packed(2);
    let gw = Gateway::start(&car, &other_car, Fault::None);
    let kit = Kit::new();
    let out = dir.path().join("out");
    let report = kit.json(&["pull", &root, "--from", &gw.url, "--bucket", "got", "-o", out.to_str().unwrap()]);
    assert_eq!(report["root"], root);
    assert_eq!(kit.root("got"), root, "the bucket's root is ipfs-car's");
    assert_same_tree(&dir.path().join("tree"), &out);
    assert_eq!((gw.count("car"), gw.count("raw")), (1, 0));
    assert_eq!(report["new_blocks"], report["blocks"]);
    // The home has it all: a second pull asks for nothing.
    let again = kit.json(&["pull", &root, "--from", &gw.url]);
    assert_eq!(again["had_all"], true);
    assert_eq!((gw.count("car"), gw.count("raw")), (1, 0));
}

#[test]
fn a_flipped_byte_fails_naming_the_block_and_nothing_from_the_response_is_kept() {
    if !peers_available() {
        return;
    }
    let (_d, car, root) = packed(3);
    let (_o, other_car, _) = packed(4);
    let bad = Gateway::start(&car, &other_car, Fault::Flip);
    let kit = Kit::new();
    kit.fails(&["pull", &root, "--from", &bad.url, "--bucket", "got"], "does not match");
    let (_, blocks) = read_car(&car);
    let flipped = dfs(&blocks, &root.parse().unwrap()).into_iter().rev().find(|(c, _)| c.codec() == 0x55).unwrap().0;
    let stderr = String::from_utf8(kit.run(&["pull", &root, "--from", &bad.url]).stderr).unwrap();
    assert!(stderr.contains(&flipped.to_string()), "names the block {flipped}: {stderr}");
    assert!(kit.run(&["bucket", "info", "got"]).status.code() != Some(0), "no bucket was made");
    // Nothing was stored: a good gateway then sends every block, and all are new.
    let good = Gateway::start(&car, &other_car, Fault::None);
    let report = kit.json(&["pull", &root, "--from", &good.url]);
    assert_eq!(report["new_blocks"].as_u64().unwrap() as usize, blocks.len());
}

#[test]
fn a_gateway_answering_with_an_unrelated_dag_is_refused() {
    if !peers_available() {
        return;
    }
    let (_d, car, root) = packed(5);
    let (_o, other_car, _) = packed(6);
    let gw = Gateway::start(&car, &other_car, Fault::Unrelated);
    let kit = Kit::new();
    kit.fails(&["pull", &root, "--from", &gw.url], "is not part of the DAG");
    let good = Gateway::start(&car, &other_car, Fault::None);
    let report = kit.json(&["pull", &root, "--from", &good.url]);
    assert_eq!(report["new_blocks"], report["blocks"], "nothing from the refused answer was kept");
}

#[test]
fn a_cut_off_car_is_completed_block_by_block() {
    if !peers_available() {
        return;
    }
    let (dir, car, root) = packed(7);
    let (_o, other_car, _) = packed(8);
    let gw = Gateway::start(&car, &other_car, Fault::CutAfter(2));
    let kit = Kit::new();
    let out = dir.path().join("out");
    let report = kit.json(&["pull", &root, "--from", &gw.url, "-o", out.to_str().unwrap()]);
    assert_eq!(report["cut_off"], 1);
    let (_, blocks) = read_car(&car);
    assert_eq!(gw.count("raw"), blocks.len() - 2, "only the blocks the CAR did not bring");
    assert_same_tree(&dir.path().join("tree"), &out);
}

#[test]
fn an_unreachable_gateway_gives_one_clear_line() {
    let kit = Kit::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    kit.fails(
        &["pull", "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "--from", &url, "--retries", "1"],
        "unreachable",
    );
}
