//! A std-only trustless gateway on 127.0.0.1 for the tests: serves the blocks of some CAR
//! files, `GET /ipfs/{cid}?format=raw` one block, `?format=car` a CARv1 of the DAG under the
//! CID, depth-first, parents first, each block once.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;

use cid::Cid;
use ipfs_kit_car::{CarReader, CarWriter, Limits};

type Blocks = HashMap<Vec<u8>, (Cid, Vec<u8>)>;

/// Starts the gateway (it lives as long as the test binary); returns its URL.
pub fn serve(cars: &[PathBuf]) -> String {
    let mut blocks = Blocks::new();
    for car in cars {
        let bytes = std::fs::read(car).unwrap();
        let mut reader = CarReader::new(&bytes[..], Limits::default()).unwrap();
        while let Some(b) = reader.next_block().unwrap() {
            blocks.insert(b.cid.hash().to_bytes(), (b.cid, b.data));
        }
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
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
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            let cid: Option<Cid> = path.strip_prefix("/ipfs/").and_then(|c| c.parse().ok());
            let answer = match cid {
                Some(cid) if query.contains("format=car") => {
                    Some(("application/vnd.ipld.car; version=1", car(&blocks, &cid)))
                }
                Some(cid) => blocks.get(&cid.hash().to_bytes()).map(|(_, d)| ("application/vnd.ipld.raw", d.clone())),
                None => None,
            };
            let _ = match answer {
                Some((ct, body)) => stream
                    .write_all(format!("HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nConnection: close\r\n\r\n").as_bytes())
                    .and_then(|()| stream.write_all(&body)),
                None => stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
            };
        }
    });
    url
}

fn car(blocks: &Blocks, root: &Cid) -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = CarWriter::new(&mut out, &[*root]).unwrap();
    let (mut seen, mut stack) = (HashSet::new(), vec![*root]);
    while let Some(cid) = stack.pop() {
        if !seen.insert(cid.hash().to_bytes()) {
            continue;
        }
        let Some((cid, data)) = blocks.get(&cid.hash().to_bytes()) else { continue };
        stack.extend(ipfs_kit_ipld::links(cid, data).unwrap().into_iter().rev());
        writer.put(cid, data).unwrap();
    }
    writer.finish().unwrap();
    out
}
