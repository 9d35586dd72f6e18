//! The CARv2 `MultihashIndexSorted` index (multicodec 0x0401), byte-compatible with go-car.
//!
//! The layout is documented on [`encode_index`].

use multihash::Multihash;

use crate::error::{CarError, IndexError};
use crate::varint;

/// Multicodec code of the `MultihashIndexSorted` index format.
pub const MULTIHASH_INDEX_SORTED: u64 = 0x0401;

/// One index record: a block's multihash and its section's offset within the CARv1 payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry {
    pub multihash: Multihash<64>,
    pub offset: u64,
}

impl IndexEntry {
    /// The order the index is written in. Ties between equal digests (duplicate blocks) are
    /// broken by offset; go-car's unstable sort leaves them in arbitrary order.
    fn sort_key(&self) -> (u64, usize, &[u8], u64) {
        (self.multihash.code(), self.multihash.digest().len(), self.multihash.digest(), self.offset)
    }
}

/// Serialises entries as a complete index payload (codec varint included), in any input order.
///
/// The CARv2 spec's prose omits two count fields and calls the bucket length a "count"; this is
/// the layout go-car actually writes and reads (`v2/index/mhindexsorted.go` and
/// `v2/index/indexsorted.go`), so `car inspect` and `car verify` parse it:
///
/// ```text
/// varint 0x0401
/// i32 LE  number of multihash-code groups
/// per group, ascending by code:
///     u64 LE  multihash code
///     i32 LE  number of width buckets
///     per bucket, ascending by width (= digest length + 8):
///         u32 LE  width
///         i64 LE  byte length of the entries (entry count * width), not the entry count
///         entries ascending by digest bytes: digest | u64 LE section offset
/// ```
///
/// Offsets point at a section's length varint, counted from the start of the CARv1 payload.
/// [`CarV2Writer`](crate::CarV2Writer) leaves identity-hash CIDs out, as go-car does unless the
/// fully-indexed characteristic is set.
pub fn encode_index(mut entries: Vec<IndexEntry>) -> Vec<u8> {
    entries.sort_unstable_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut out = varint::encode(MULTIHASH_INDEX_SORTED, &mut [0; varint::MAX_LEN]).to_vec();
    let groups: Vec<&[IndexEntry]> = entries.chunk_by(|a, b| a.multihash.code() == b.multihash.code()).collect();
    out.extend_from_slice(&count_i32(groups.len()).to_le_bytes());
    for group in groups {
        out.extend_from_slice(&group[0].multihash.code().to_le_bytes());
        let buckets: Vec<&[IndexEntry]> = group.chunk_by(|a, b| a.multihash.size() == b.multihash.size()).collect();
        out.extend_from_slice(&count_i32(buckets.len()).to_le_bytes());
        for bucket in buckets {
            let width = u32::from(bucket[0].multihash.size()) + 8;
            out.extend_from_slice(&width.to_le_bytes());
            out.extend_from_slice(&(u64::from(width) * bucket.len() as u64).to_le_bytes());
            for e in bucket {
                out.extend_from_slice(e.multihash.digest());
                out.extend_from_slice(&e.offset.to_le_bytes());
            }
        }
    }
    out
}

/// go-car reads these counts as `int32`; more groups than that cannot occur (there are at most
/// 65 widths per code and far fewer hash codes in use), so overflowing is a bug, not bad input.
fn count_i32(n: usize) -> i32 {
    i32::try_from(n).expect("index group count fits in i32")
}

/// Parses a complete index payload, checking the ordering go-car's binary search relies on.
///
/// Error offsets count from the start of `bytes`.
pub fn decode_index(bytes: &[u8]) -> Result<Vec<IndexEntry>, CarError> {
    decode(bytes).map_err(|(pos, kind)| CarError::InvalidIndex { offset: pos as u64, kind })
}

/// [`decode_index`] with the failure position left for the caller to rebase.
pub(crate) fn decode(bytes: &[u8]) -> Result<Vec<IndexEntry>, (usize, IndexError)> {
    let mut c = Cursor { bytes, pos: 0 };
    let (codec, n) = varint::decode(bytes).map_err(|_| (0, IndexError::Truncated))?;
    if codec != MULTIHASH_INDEX_SORTED {
        return Err((0, IndexError::UnsupportedCodec(codec)));
    }
    c.pos = n;
    let mut entries = Vec::new();
    let mut last_code = None;
    for _ in 0..c.count()? {
        let at = c.pos;
        let code = c.u64()?;
        if last_code.is_some_and(|last| code <= last) {
            return Err((at, IndexError::UnsortedBuckets));
        }
        last_code = Some(code);
        let mut last_width = None;
        for _ in 0..c.count()? {
            let at = c.pos;
            let width = u32::from_le_bytes(c.array()?);
            let len = c.u64()?;
            if width < 8 {
                return Err((at, IndexError::WidthTooSmall(width)));
            }
            if last_width.is_some_and(|last| width <= last) {
                return Err((at, IndexError::UnsortedBuckets));
            }
            last_width = Some(width);
            if !len.is_multiple_of(u64::from(width)) {
                return Err((at, IndexError::RaggedBucket { len, width }));
            }
            let body = c.take(len)?;
            let digest_len = width as usize - 8;
            let mut previous: Option<&[u8]> = None;
            for (i, record) in body.chunks_exact(width as usize).enumerate() {
                let record_at = at + 12 + i * width as usize;
                let (digest, offset) = record.split_at(digest_len);
                if previous.is_some_and(|p| p > digest) {
                    return Err((record_at, IndexError::UnsortedDigests));
                }
                previous = Some(digest);
                let multihash =
                    Multihash::wrap(code, digest).map_err(|_| (record_at, IndexError::DigestTooLong(digest_len)))?;
                let offset = u64::from_le_bytes(offset.try_into().expect("8-byte slice"));
                entries.push(IndexEntry { multihash, offset });
            }
        }
    }
    if c.pos < bytes.len() {
        return Err((c.pos, IndexError::TrailingBytes(bytes.len() - c.pos)));
    }
    Ok(entries)
}

/// Little-endian fixed-width reads that fail with the position instead of panicking.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: u64) -> Result<&'a [u8], (usize, IndexError)> {
        let end = usize::try_from(n)
            .ok()
            .and_then(|n| self.pos.checked_add(n))
            .filter(|&end| end <= self.bytes.len())
            .ok_or((self.pos, IndexError::Truncated))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], (usize, IndexError)> {
        Ok(self.take(N as u64)?.try_into().expect("N-byte slice"))
    }

    fn u64(&mut self) -> Result<u64, (usize, IndexError)> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A group count; it sizes nothing, and each group consumes bytes, so a huge count simply
    /// runs into `Truncated`.
    fn count(&mut self) -> Result<i32, (usize, IndexError)> {
        let at = self.pos;
        let n = i32::from_le_bytes(self.array()?);
        if n < 0 {
            return Err((at, IndexError::NegativeCount(n)));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mh(code: u64, digest: &[u8]) -> Multihash<64> {
        Multihash::wrap(code, digest).unwrap()
    }

    #[test]
    fn layout_by_hand() {
        let entries = vec![
            IndexEntry { multihash: mh(0x12, &[0xbb; 32]), offset: 7 },
            IndexEntry { multihash: mh(0x12, &[0xaa; 32]), offset: 300 },
            IndexEntry { multihash: mh(0x12, &[0x01; 20]), offset: 9 },
            IndexEntry { multihash: mh(0x11, &[0x05; 20]), offset: 1 },
        ];
        let got = encode_index(entries.clone());
        let mut want = vec![0x81, 0x08, 2, 0, 0, 0];
        // sha1 group: one bucket of width 28 holding one entry.
        want.extend_from_slice(&0x11u64.to_le_bytes());
        want.extend_from_slice(&[1, 0, 0, 0, 28, 0, 0, 0, 28, 0, 0, 0, 0, 0, 0, 0]);
        want.extend_from_slice(&[0x05; 20]);
        want.extend_from_slice(&1u64.to_le_bytes());
        // sha2-256 group: widths 28 then 40.
        want.extend_from_slice(&0x12u64.to_le_bytes());
        want.extend_from_slice(&[2, 0, 0, 0, 28, 0, 0, 0, 28, 0, 0, 0, 0, 0, 0, 0]);
        want.extend_from_slice(&[0x01; 20]);
        want.extend_from_slice(&9u64.to_le_bytes());
        want.extend_from_slice(&[40, 0, 0, 0, 80, 0, 0, 0, 0, 0, 0, 0]);
        want.extend_from_slice(&[0xaa; 32]);
        want.extend_from_slice(&300u64.to_le_bytes());
        want.extend_from_slice(&[0xbb; 32]);
        want.extend_from_slice(&7u64.to_le_bytes());
        assert_eq!(got, want);

        let back = decode_index(&got).unwrap();
        assert_eq!(back, vec![entries[3], entries[2], entries[1], entries[0]]);
    }

    #[test]
    fn empty_index_is_two_counts() {
        assert_eq!(encode_index(Vec::new()), [0x81, 0x08, 0, 0, 0, 0]);
        assert_eq!(decode_index(&[0x81, 0x08, 0, 0, 0, 0]).unwrap(), Vec::new());
    }

    #[test]
    fn refuses_malformed_indexes() {
        let good = encode_index(vec![
            IndexEntry { multihash: mh(0x12, &[1; 32]), offset: 1 },
            IndexEntry { multihash: mh(0x12, &[2; 32]), offset: 2 },
        ]);
        let kind = |b: &[u8]| decode(b).unwrap_err().1;
        assert_eq!(kind(&[0x80, 0x08, 0, 0, 0, 0]), IndexError::UnsupportedCodec(0x0400));
        assert_eq!(kind(&good[..good.len() - 1]), IndexError::Truncated);
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(kind(&trailing), IndexError::TrailingBytes(1));
        let mut negative = good.clone();
        negative[5] = 0x80;
        assert_eq!(kind(&negative), IndexError::NegativeCount(i32::MIN + 1));
        let mut swapped = good.clone();
        swapped[30] = 3; // first digest now sorts after the second
        assert_eq!(kind(&swapped), IndexError::UnsortedDigests);
        let mut ragged = good.clone();
        ragged[22] = 81;
        assert!(matches!(kind(&ragged), IndexError::RaggedBucket { len: 81, width: 40 }));
        let mut narrow = good.clone();
        narrow[18] = 7;
        assert_eq!(kind(&narrow), IndexError::WidthTooSmall(7));
        // A bucket claiming 2^62 bytes is refused without allocating.
        let mut huge = good.clone();
        huge[22..30].copy_from_slice(&(40u64 << 56).to_le_bytes());
        assert_eq!(kind(&huge), IndexError::Truncated);
    }
}
