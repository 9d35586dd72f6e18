//! End-to-end tests: writer → reader round trips, corruption, truncation, CARv2 and its index.

use cid::Cid;
use multihash::Multihash;
use sha2::{Digest, Sha256};

use crate::testutil::{cid_v0, identity_cid, pb_cid, raw_cid};
use crate::*;

/// A mix that exercises every CID form the reader must accept: CIDv1 raw and dag-pb, CIDv0, an
/// identity CID, an empty block, and a block long enough for a two-byte length varint.
fn sample_blocks() -> Vec<(Cid, Vec<u8>)> {
    let mut blocks: Vec<(Cid, Vec<u8>)> = Vec::new();
    let mut add = |f: fn(&[u8]) -> Cid, data: Vec<u8>| blocks.push((f(&data), data));
    add(raw_cid, b"hello world\n".to_vec());
    add(pb_cid, vec![0x12, 0x05, 0x0a, 0x03, b'a', b'b', b'c']);
    add(cid_v0, vec![0x0a, 0x02, 0x08, 0x01]);
    add(identity_cid, b"inline".to_vec());
    add(raw_cid, Vec::new());
    add(raw_cid, (0..300u32).map(|i| i as u8).collect());
    blocks
}

/// Writes a CARv1 and returns it with each section's start offset.
fn write_v1(roots: &[Cid], blocks: &[(Cid, Vec<u8>)]) -> (Vec<u8>, Vec<u64>) {
    let mut w = CarWriter::new(Vec::new(), roots).unwrap();
    let mut offsets = Vec::new();
    for (cid, data) in blocks {
        offsets.push(w.bytes_written());
        w.put(cid, data).unwrap();
    }
    let (bytes, n) = w.finish().unwrap();
    assert_eq!(n, bytes.len() as u64);
    (bytes, offsets)
}

fn plan(roots: &[Cid], blocks: &[(Cid, Vec<u8>)]) -> u64 {
    header_len(roots) + blocks.iter().map(|(c, d)| section_len(c, d.len() as u64)).sum::<u64>()
}

fn write_v2(roots: &[Cid], blocks: &[(Cid, Vec<u8>)]) -> Vec<u8> {
    let mut w = CarV2Writer::new(Vec::new(), roots, plan(roots, blocks)).unwrap();
    for (cid, data) in blocks {
        w.put(cid, data).unwrap();
    }
    let (bytes, n) = w.finish().unwrap();
    assert_eq!(n, bytes.len() as u64);
    bytes
}

/// Reads every block, stopping at the first error.
fn read_all(bytes: &[u8]) -> Result<(Vec<Cid>, Vec<Block>), CarError> {
    let mut r = CarReader::new(bytes, Limits::default())?;
    let mut blocks = Vec::new();
    while let Some(b) = r.next_block()? {
        blocks.push(b);
    }
    assert_eq!(r.position(), bytes.len().min(r.v2_header().map_or(usize::MAX, |h| h.data_end() as usize)) as u64);
    Ok((r.roots().to_vec(), blocks))
}

fn err(bytes: &[u8]) -> CarError {
    read_all(bytes).unwrap_err()
}

#[test]
fn v1_round_trip_with_offsets_and_planned_sizes() {
    let blocks = sample_blocks();
    let roots = [blocks[1].0, blocks[2].0];
    let (bytes, offsets) = write_v1(&roots, &blocks);
    assert_eq!(bytes.len() as u64, plan(&roots, &blocks));
    assert_eq!(offsets[0], header_len(&roots));

    let (got_roots, got) = read_all(&bytes).unwrap();
    assert_eq!(got_roots, roots);
    assert_eq!(got.len(), blocks.len());
    for ((block, (cid, data)), offset) in got.iter().zip(&blocks).zip(&offsets) {
        assert_eq!((&block.cid, &block.data, block.offset), (cid, data, *offset));
    }
    assert_eq!(CarReader::new(&bytes[..], Limits::default()).unwrap().version(), CarVersion::V1);
}

#[test]
fn cidv0_section_is_the_bare_multihash() {
    let data = b"v0 block".to_vec();
    let cid = cid_v0(&data);
    let (bytes, offsets) = write_v1(&[cid], &[(cid, data.clone())]);
    let section = &bytes[offsets[0] as usize..];
    assert_eq!(section[0] as usize, 34 + data.len());
    assert_eq!(&section[1..3], &[0x12, 0x20]);
    assert_eq!(&section[3..35], Sha256::digest(&data).as_slice());
    assert_eq!(&section[35..], &data[..]);
    let (_, got) = read_all(&bytes).unwrap();
    assert_eq!(got[0].cid.version(), cid::Version::V0);
}

#[test]
fn header_matches_go_car_bytes_for_a_cidv1_root() {
    // The first bytes of go-car's sample-unixfs-v2.car payload: varint 0x3a, then the map.
    let fixture = include_bytes!("../testdata/go-car-sample-unixfs-v2.car");
    let root = Cid::try_from(&fixture[65..101]).unwrap();
    let (bytes, _) = write_v1(&[root], &[]);
    assert_eq!(bytes[..], fixture[51..51 + 59]);
    assert_eq!(header_len(&[root]), 59);
}

#[test]
fn every_truncation_is_clean_only_at_a_section_boundary() {
    let blocks = sample_blocks();
    let (bytes, offsets) = write_v1(&[blocks[0].0], &blocks);
    let mut boundaries = offsets.clone();
    boundaries.push(bytes.len() as u64);
    for cut in 0..=bytes.len() {
        match read_all(&bytes[..cut]) {
            Ok((_, got)) => {
                let whole = boundaries.iter().position(|&b| b == cut as u64);
                assert_eq!(whole, Some(got.len()), "clean end at {cut} is not a boundary");
                for (b, (cid, data)) in got.iter().zip(&blocks) {
                    assert_eq!((&b.cid, &b.data), (cid, data));
                }
            }
            Err(CarError::Truncated { offset }) => {
                assert!(!boundaries.contains(&(cut as u64)) || cut < offsets[0] as usize, "cut {cut}");
                // The offset names the header (0) or the section that was cut.
                assert!(offset == 0 || offsets.contains(&offset), "cut {cut}: offset {offset}");
            }
            Err(e) => panic!("cut {cut}: unexpected {e}"),
        }
    }
}

#[test]
fn every_v2_truncation_is_an_error_until_the_payload_ends() {
    let blocks = sample_blocks();
    let bytes = write_v2(&[blocks[0].0], &blocks);
    let data_end = V2_DATA_OFFSET + plan(&[blocks[0].0], &blocks);
    for cut in 0..bytes.len() {
        let result = read_all(&bytes[..cut]);
        if (cut as u64) < data_end {
            assert!(matches!(result, Err(CarError::Truncated { .. })), "cut {cut}: {result:?}");
        } else {
            assert_eq!(result.unwrap().1.len(), blocks.len(), "cut {cut}");
            let index = CarReader::new(&bytes[..cut], Limits::default()).unwrap().read_index();
            assert!(
                matches!(index, Err(CarError::InvalidIndex { kind: IndexError::Truncated, .. })),
                "cut {cut}: {index:?}"
            );
        }
    }
}

#[test]
fn flipped_bytes_are_hash_mismatches_at_the_section() {
    let blocks = sample_blocks();
    let (bytes, offsets) = write_v1(&[blocks[0].0], &blocks);
    // Last byte of each non-empty block's data, which is the last byte before the next section.
    let ends: Vec<u64> = offsets.iter().skip(1).copied().chain([bytes.len() as u64]).collect();
    for (i, (_, data)) in blocks.iter().enumerate() {
        if data.is_empty() {
            continue;
        }
        let mut bad = bytes.clone();
        bad[ends[i] as usize - 1] ^= 0x01;
        match err(&bad) {
            CarError::HashMismatch { offset, cid } => assert_eq!((offset, cid), (offsets[i], blocks[i].0)),
            e => panic!("block {i}: {e}"),
        }
    }
    // A flipped digest byte in the CID is a mismatch too.
    let mut bad = bytes.clone();
    bad[offsets[0] as usize + 10] ^= 0x80;
    assert!(matches!(err(&bad), CarError::HashMismatch { offset, .. } if offset == offsets[0]));
}

#[test]
fn next_block_is_fused_after_an_error() {
    let blocks = sample_blocks();
    let (mut bytes, offsets) = write_v1(&[blocks[0].0], &blocks);
    bytes[offsets[1] as usize - 1] ^= 0x01;
    let mut r = CarReader::new(&bytes[..], Limits::default()).unwrap();
    assert!(matches!(r.next_block(), Err(CarError::HashMismatch { .. })));
    assert!(r.next_block().unwrap().is_none());
}

fn v1_header() -> Vec<u8> {
    write_v1(&[raw_cid(b"root")], &[]).0
}

#[test]
fn bad_section_varints() {
    let mut overflow = v1_header();
    let at = overflow.len() as u64;
    overflow.extend_from_slice(&[0xff; 10]);
    assert!(matches!(err(&overflow), CarError::VarintOverflow { offset } if offset == at));

    let mut padded = v1_header();
    padded.extend_from_slice(&[0x85, 0x00]);
    assert!(matches!(err(&padded), CarError::VarintNotMinimal { offset } if offset == at));

    let mut zero = v1_header();
    zero.push(0x00);
    assert!(matches!(err(&zero), CarError::EmptySection { offset } if offset == at));
}

#[test]
fn zero_length_section_ends_the_car_only_when_asked() {
    let blocks = sample_blocks();
    let (mut bytes, _) = write_v1(&[blocks[0].0], &blocks);
    let end = bytes.len() as u64;
    // Lotus-style zero padding after the last block, and then garbage that is never read.
    bytes.extend_from_slice(&[0, 0, 0, 0xff]);
    assert!(matches!(err(&bytes), CarError::EmptySection { offset } if offset == end));
    let mut r = CarReader::new(&bytes[..], Limits::default()).unwrap().zero_length_as_eof(true);
    let mut n = 0;
    while r.next_block().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, blocks.len());
}

#[test]
fn hostile_lengths_are_refused_before_reading() {
    let four_gib = varint_bytes(4 << 30);
    let mut header = four_gib.clone();
    header.extend_from_slice(&[0xa2; 16]);
    assert!(matches!(
        err(&header),
        CarError::HeaderTooLarge { offset: 0, len, max } if len == 4 << 30 && max == 1 << 20
    ));

    let mut section = v1_header();
    let at = section.len() as u64;
    section.extend_from_slice(&four_gib);
    section.extend_from_slice(&[0x01; 64]);
    assert!(matches!(err(&section), CarError::SectionTooLarge { offset, len, .. } if offset == at && len == 4 << 30));

    // With the limits lifted, a lying length on a short input is just truncation: the buffer
    // grows with the bytes that arrive, not with the claim.
    let open = Limits { max_header: u64::MAX, max_section: u64::MAX, ..Limits::default() };
    assert!(matches!(CarReader::new(&header[..], open), Err(CarError::Truncated { offset: 0 })));
    let mut r = CarReader::new(&section[..], open).unwrap();
    assert!(matches!(r.next_block(), Err(CarError::Truncated { offset }) if offset == at));
}

fn varint_bytes(v: u64) -> Vec<u8> {
    crate::varint::encode(v, &mut [0; 10]).to_vec()
}

#[test]
fn unverifiable_and_malformed_sections() {
    // sha1 is not in the table: refused, not passed on.
    let sha1 = Cid::new_v1(0x55, Multihash::wrap(0x11, &[7; 20]).unwrap());
    let (bytes, offsets) = write_v1(&[sha1], &[(sha1, b"x".to_vec())]);
    assert!(matches!(
        err(&bytes),
        CarError::UnsupportedHash { offset, code: 0x11, size: 20 } if offset == offsets[0]
    ));
    // blake2b-256, sha2-512 and blake3 are checked: the right digest reads, a wrong one is named.
    for code in [0xb220, 0x13, 0x1e] {
        let good = Cid::new_v1(0x71, ipfs_kit_ipld::hash::multihash(code, b"x").unwrap());
        let (bytes, _) = write_v1(&[good], &[(good, b"x".to_vec())]);
        assert_eq!(read_all(&bytes).unwrap().1.len(), 1);
        let (bytes, offsets) = write_v1(&[good], &[(good, b"y".to_vec())]);
        assert!(matches!(err(&bytes), CarError::HashMismatch { offset, cid } if offset == offsets[0] && cid == good));
    }

    let mut bad_cid = v1_header();
    let at = bad_cid.len() as u64;
    bad_cid.extend_from_slice(&[0x03, 0x02, 0x55, 0x12]); // CID version 2
    assert!(matches!(err(&bad_cid), CarError::InvalidCid { offset, .. } if offset == at));

    // A section shorter than its CID is malformed, not truncated.
    let cid = raw_cid(b"x").to_bytes();
    let mut short = v1_header();
    short.push(10);
    short.extend_from_slice(&cid[..10]);
    assert!(matches!(err(&short), CarError::InvalidCid { offset, .. } if offset == at));
}

#[test]
fn header_errors_name_the_byte() {
    let mut bytes = v1_header();
    let version_value = bytes.len() - 1;
    bytes[version_value] = 3;
    match err(&bytes) {
        CarError::InvalidHeader { kind: HeaderError::UnsupportedVersion(3), offset } => {
            assert_eq!(offset, version_value as u64)
        }
        e => panic!("{e}"),
    }
    let mut bytes = v1_header();
    bytes[13] = 0x01; // the 0x00 multibase prefix of the root link
    match err(&bytes) {
        CarError::InvalidHeader { kind: HeaderError::MissingLinkPrefix, offset } => assert_eq!(offset, 9),
        e => panic!("{e}"),
    }
    let limits = Limits { max_roots: 0, ..Limits::default() };
    assert!(matches!(
        CarReader::new(&v1_header()[..], limits),
        Err(CarError::InvalidHeader { kind: HeaderError::TooManyRoots { count: 1, max: 0 }, offset: 8 })
    ));
}

#[test]
fn error_messages_are_one_line_with_the_offset() {
    let errors = [
        CarError::Truncated { offset: 1234 },
        CarError::VarintOverflow { offset: 1234 },
        CarError::HashMismatch { offset: 1234, cid: raw_cid(b"x") },
        CarError::InvalidHeader { offset: 1234, kind: HeaderError::UnknownKey },
        CarError::InvalidIndex { offset: 1234, kind: IndexError::UnsortedDigests },
        CarError::SectionTooLarge { offset: 1234, len: 1 << 32, max: 8 << 20 },
    ];
    for e in errors {
        let msg = e.to_string();
        assert!(msg.contains("1234") && !msg.contains('\n'), "{msg}");
    }
    assert_eq!(CarError::Truncated { offset: 1234 }.to_string(), "truncated CAR: section at byte 1234 ends early");
}

#[test]
fn empty_roots_and_empty_car_are_readable() {
    let (bytes, _) = write_v1(&[], &[]);
    let (roots, blocks) = read_all(&bytes).unwrap();
    assert!(roots.is_empty() && blocks.is_empty());
}

#[test]
fn v2_round_trip_and_index_points_at_sections() {
    let blocks = sample_blocks();
    let roots = [blocks[0].0];
    let bytes = write_v2(&roots, &blocks);
    let data_size = plan(&roots, &blocks);
    assert_eq!(&bytes[..11], &PRAGMA);
    assert_eq!(V2Header::decode(bytes[11..51].try_into().unwrap()).unwrap(), V2Header::new(data_size));
    // The payload is exactly the CARv1 the v1 writer produces.
    let (v1, _) = write_v1(&roots, &blocks);
    assert_eq!(&bytes[51..51 + v1.len()], &v1[..]);

    let mut r = CarReader::new(&bytes[..], Limits::default()).unwrap();
    assert_eq!(r.version(), CarVersion::V2);
    assert_eq!(r.roots(), roots);
    let mut got = Vec::new();
    while let Some(b) = r.next_block().unwrap() {
        got.push(b);
    }
    assert_eq!(r.position(), V2_DATA_OFFSET + data_size);
    assert_eq!(got.iter().map(|b| (b.cid, b.data.clone())).collect::<Vec<_>>(), blocks);

    let index = r.read_index().unwrap().unwrap();
    let indexed: Vec<&Block> = got.iter().filter(|b| b.cid.hash().code() != 0).collect();
    assert_eq!(index.len(), indexed.len());
    assert!(index.windows(2).all(|w| {
        let key = |e: &IndexEntry| (e.multihash.code(), e.multihash.size(), e.multihash.digest().to_vec());
        key(&w[0]) <= key(&w[1])
    }));
    for entry in &index {
        let block = got.iter().find(|b| b.offset == V2_DATA_OFFSET + entry.offset).expect("offset hits a section");
        assert_eq!(block.cid.hash(), &entry.multihash);
        // And the raw bytes there are that section.
        let at = (V2_DATA_OFFSET + entry.offset) as usize;
        let expect = section_len(&block.cid, block.data.len() as u64) as usize;
        let mut one = CarWriter::new(Vec::new(), &[]).unwrap();
        let skip = one.bytes_written() as usize;
        one.put(&block.cid, &block.data).unwrap();
        assert_eq!(&bytes[at..at + expect], &one.finish().unwrap().0[skip..]);
    }
}

/// go-car's `v2/testdata/sample-unixfs-v2.car` (485 bytes, CARv2 with a `MultihashIndexSorted`
/// index, written by go-car). Re-writing its blocks must give the identical file.
#[test]
fn reproduces_a_go_car_v2_file_byte_for_byte() {
    let fixture = include_bytes!("../testdata/go-car-sample-unixfs-v2.car");
    let mut r = CarReader::new(&fixture[..], Limits::default()).unwrap();
    let header = *r.v2_header().unwrap();
    let roots = r.roots().to_vec();
    let mut blocks = Vec::new();
    while let Some(b) = r.next_block().unwrap() {
        blocks.push((b.cid, b.data));
    }
    let theirs = r.read_index().unwrap().unwrap();
    assert_eq!(blocks.len(), 3);
    assert_eq!(header.data_size, plan(&roots, &blocks));

    let ours = write_v2(&roots, &blocks);
    assert_eq!(ours, fixture);
    assert_eq!(decode_index(&ours[header.index_offset as usize..]).unwrap(), theirs);
}

#[test]
fn v2_writer_holds_callers_to_the_plan() {
    let blocks = sample_blocks();
    let roots = [blocks[0].0];
    let size = plan(&roots, &blocks);

    let mut short = CarV2Writer::new(Vec::new(), &roots, size - 1).unwrap();
    for (cid, data) in &blocks[..blocks.len() - 1] {
        short.put(cid, data).unwrap();
    }
    let before = short.bytes_written();
    let last = blocks.last().unwrap();
    assert!(matches!(short.put(&last.0, &last.1), Err(CarError::ExceedsPlan { planned, .. }) if planned == size - 1));
    assert_eq!(short.bytes_written(), before, "a refused section writes nothing");

    let mut long = CarV2Writer::new(Vec::new(), &roots, size + 1).unwrap();
    for (cid, data) in &blocks {
        long.put(cid, data).unwrap();
    }
    assert!(
        matches!(long.finish(), Err(CarError::SizeMismatch { planned, written }) if planned == size + 1 && written == size)
    );

    assert!(matches!(CarV2Writer::new(Vec::new(), &roots, 5), Err(CarError::ExceedsPlan { .. })));
}

#[test]
fn v2_reader_honours_padding_and_refuses_bad_layouts() {
    let blocks = sample_blocks();
    let roots = [blocks[0].0];
    let (v1, _) = write_v1(&roots, &blocks);
    // Hand-built CARv2 with 5 bytes of padding before the payload and garbage instead of an index.
    let header = V2Header { characteristics: [0; 16], data_offset: 56, data_size: v1.len() as u64, index_offset: 0 };
    let mut file = PRAGMA.to_vec();
    file.extend_from_slice(&header.encode());
    file.extend_from_slice(&[0xee; 5]);
    file.extend_from_slice(&v1);
    file.extend_from_slice(b"trailing junk the reader must not touch");
    let mut r = CarReader::new(&file[..], Limits::default()).unwrap();
    let mut offsets = Vec::new();
    while let Some(b) = r.next_block().unwrap() {
        offsets.push(b.offset);
    }
    assert_eq!(offsets.len(), blocks.len());
    assert_eq!(offsets[0], 56 + header_len(&roots));
    assert_eq!(r.position(), 56 + v1.len() as u64);
    assert!(r.read_index().unwrap().is_none());

    let mut overlapping = file.clone();
    overlapping[43..51].copy_from_slice(&60u64.to_le_bytes());
    assert!(matches!(
        err(&overlapping),
        CarError::InvalidV2Header { offset: 11, kind: V2HeaderError::IndexOverlapsData { index_offset: 60, .. } }
    ));

    // A CARv2 whose payload is another CARv2.
    let mut nested = PRAGMA.to_vec();
    nested.extend_from_slice(&V2Header::new(11).encode());
    nested.extend_from_slice(&PRAGMA);
    assert!(matches!(err(&nested), CarError::InvalidV2Header { offset: 51, kind: V2HeaderError::NestedV2 }));

    assert!(matches!(err(&PRAGMA), CarError::Truncated { offset: 11 }));
}

#[test]
fn car_cid_of_a_written_file() {
    let blocks = sample_blocks();
    let mut w = CarWriter::new(CarHasher::new(Vec::new()), &[blocks[0].0]).unwrap();
    for (cid, data) in &blocks {
        w.put(cid, data).unwrap();
    }
    let (hasher, n) = w.finish().unwrap();
    assert_eq!(hasher.len(), n);
    let (bytes, cid) = hasher.finish();
    assert_eq!(cid, car_cid(Sha256::digest(&bytes).into()));
    assert_eq!(cid.codec(), CAR_CODEC);
}

#[test]
fn an_overlong_cid_spelling_is_refused() {
    // The raw codec 0x55 written as a 10-byte varint: the cid crate reads it as 0x55, but the
    // bytes are not the CID's, so the section is refused (fuzzing found it).
    let data = b"x";
    let root = raw_cid(data);
    let mut cid_bytes = vec![0x01, 0xd5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02];
    cid_bytes.extend(root.hash().to_bytes());
    let (mut car, _) = write_v1(&[root], &[]);
    let start = car.len() as u64;
    car.push((cid_bytes.len() + data.len()) as u8);
    car.extend(&cid_bytes);
    car.extend(data);
    assert!(Cid::try_from(&cid_bytes[..]).is_ok_and(|c| c == root), "the crate accepts the long form");
    assert!(matches!(read_all(&car), Err(CarError::NonCanonicalCid { offset }) if offset == start));
}

#[test]
fn the_threaded_hasher_names_the_same_car() {
    // Enough bytes for several 1 MiB pieces and a partial one.
    let blocks: Vec<(Cid, Vec<u8>)> = (0..5u8)
        .map(|i| (0..700_000).map(|j| (j as u8).wrapping_mul(i + 1)).collect::<Vec<u8>>())
        .map(|d| (raw_cid(&d), d))
        .collect();
    let mut w = CarWriter::new(ThreadedCarHasher::new(Vec::new()), &[blocks[0].0]).unwrap();
    for (cid, data) in &blocks {
        w.put(cid, data).unwrap();
    }
    let (hasher, n) = w.finish().unwrap();
    assert_eq!(hasher.len(), n);
    let (bytes, cid) = hasher.finish();
    assert_eq!(bytes.len() as u64, n);
    assert_eq!(cid, car_cid(Sha256::digest(&bytes).into()));
}
