//! The CARv2 framing: an 11-byte pragma and a fixed 40-byte header in front of a CARv1 payload.

use crate::error::V2HeaderError;

/// The CARv2 pragma: varint 10, then DAG-CBOR `{"version": 2}`.
///
/// It is a valid CARv1 header with no roots, chosen so CARv1-only readers refuse the file with an
/// "unsupported version" error instead of misreading it. Matched by byte comparison, as the spec
/// recommends, since it never varies.
pub const PRAGMA: [u8; 11] = [0x0a, 0xa1, 0x67, b'v', b'e', b'r', b's', b'i', b'o', b'n', 0x02];

/// Length of the fixed header that follows the pragma.
pub const V2_HEADER_LEN: u64 = 40;

/// Where the CARv1 payload starts when, as here and in go-car, nothing pads it: 11 + 40.
pub const V2_DATA_OFFSET: u64 = PRAGMA.len() as u64 + V2_HEADER_LEN;

/// The fixed CARv2 header: characteristics, then three little-endian `u64` locations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V2Header {
    /// 128-bit feature field; all zero unless a characteristic is signalled.
    pub characteristics: [u8; 16],
    /// Offset of the CARv1 payload from the start of the file.
    pub data_offset: u64,
    /// Length of the CARv1 payload.
    pub data_size: u64,
    /// Offset of the index from the start of the file, or 0 for none.
    pub index_offset: u64,
}

impl V2Header {
    /// The header go-car's `WrapV1` writes: no characteristics, payload right after the header,
    /// index right after the payload.
    pub fn new(data_size: u64) -> Self {
        Self {
            characteristics: [0; 16],
            data_offset: V2_DATA_OFFSET,
            data_size,
            index_offset: V2_DATA_OFFSET.saturating_add(data_size),
        }
    }

    /// Whether the index claims to list every section, identity CIDs included (the left-most
    /// bit, which go-car stores as bit 7 of the first little-endian `u64`).
    pub fn fully_indexed(&self) -> bool {
        self.characteristics[0] & 0x80 != 0
    }

    /// Offset one past the payload's last byte.
    pub fn data_end(&self) -> u64 {
        self.data_offset + self.data_size
    }

    pub fn encode(&self) -> [u8; 40] {
        let mut out = [0u8; 40];
        out[..16].copy_from_slice(&self.characteristics);
        out[16..24].copy_from_slice(&self.data_offset.to_le_bytes());
        out[24..32].copy_from_slice(&self.data_size.to_le_bytes());
        out[32..40].copy_from_slice(&self.index_offset.to_le_bytes());
        out
    }

    /// Decodes and sanity-checks a header, so readers never seek into the header itself, wrap
    /// around, or read an index that overlaps the payload.
    pub fn decode(bytes: &[u8; 40]) -> Result<Self, V2HeaderError> {
        let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8-byte slice"));
        let header = Self {
            characteristics: bytes[..16].try_into().expect("16-byte slice"),
            data_offset: u64_at(16),
            data_size: u64_at(24),
            index_offset: u64_at(32),
        };
        if header.data_offset < V2_DATA_OFFSET {
            return Err(V2HeaderError::DataOffsetTooSmall(header.data_offset));
        }
        if header.data_size == 0 {
            return Err(V2HeaderError::EmptyData);
        }
        let data_end = header.data_offset.checked_add(header.data_size).ok_or(V2HeaderError::Overflow)?;
        if header.index_offset != 0 && header.index_offset < data_end {
            return Err(V2HeaderError::IndexOverlapsData { index_offset: header.index_offset, data_end });
        }
        Ok(header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header bytes of the CARv2 spec's carv2-basic fixture (data size 448, index at 499).
    #[test]
    fn matches_the_spec_fixture_header() {
        let mut expected = [0u8; 40];
        expected[16] = 0x33;
        expected[24..26].copy_from_slice(&[0xc0, 0x01]);
        expected[32..34].copy_from_slice(&[0xf3, 0x01]);
        let header = V2Header::new(448);
        assert_eq!(header.encode(), expected);
        assert_eq!(V2Header::decode(&expected).unwrap(), header);
        assert!(!header.fully_indexed());
    }

    #[test]
    fn refuses_impossible_layouts() {
        let bad = |h: V2Header| V2Header::decode(&h.encode()).unwrap_err();
        let ok = V2Header::new(100);
        assert_eq!(bad(V2Header { data_offset: 50, ..ok }), V2HeaderError::DataOffsetTooSmall(50));
        assert_eq!(bad(V2Header { data_size: 0, ..ok }), V2HeaderError::EmptyData);
        assert_eq!(bad(V2Header { data_size: u64::MAX, ..ok }), V2HeaderError::Overflow);
        assert_eq!(
            bad(V2Header { index_offset: 150, ..ok }),
            V2HeaderError::IndexOverlapsData { index_offset: 150, data_end: 151 }
        );
        assert!(V2Header::decode(&V2Header { index_offset: 0, ..ok }.encode()).is_ok());
    }
}
