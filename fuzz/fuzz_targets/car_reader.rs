//! Fuzzes the streaming CAR reader: header (CARv1 DAG-CBOR, CARv2 pragma and fixed header),
//! every section with block verification, and the CARv2 index.
//!
//! Beyond "no panic, no OOM, no hang", checks the reader's own promises: it never reports a
//! position past the input, block offsets strictly increase and lie inside the input, and
//! after the first `None` or error it stays at `None`.

#![no_main]

use ipfs_kit_car::{CarReader, CarVersion, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let len = data.len() as u64;
    let Ok(mut reader) = CarReader::new(data, Limits::default()) else {
        return;
    };
    assert!(reader.position() <= len);
    assert_eq!(reader.version() == CarVersion::V2, reader.v2_header().is_some());
    let _ = reader.roots();

    let mut last_offset = None;
    loop {
        match reader.next_block() {
            Ok(Some(block)) => {
                assert!(block.offset < len, "block offset {} past input of {len} bytes", block.offset);
                assert!(last_offset.is_none_or(|last| block.offset > last), "block offsets not increasing");
                last_offset = Some(block.offset);
                assert!(reader.position() <= len);
            }
            Ok(None) | Err(_) => break,
        }
    }
    assert!(matches!(reader.next_block(), Ok(None)), "reader yielded again after its end");
    assert!(reader.position() <= len);

    let _ = reader.read_index();
});
