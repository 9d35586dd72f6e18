//! The sliver of DAG-CBOR a CAR header needs: item heads, byte/text strings, arrays, maps, tag 42.
//!
//! Hand-written rather than a CBOR crate so the decoder can be strict (definite lengths, minimal
//! heads, as DAG-CBOR requires) and bounded (every length is checked against the bytes actually
//! present before anything is allocated or sliced).

use crate::error::HeaderError;

pub(crate) const MAJOR_UINT: u8 = 0;
pub(crate) const MAJOR_BYTES: u8 = 2;
pub(crate) const MAJOR_TEXT: u8 = 3;
pub(crate) const MAJOR_ARRAY: u8 = 4;
pub(crate) const MAJOR_MAP: u8 = 5;
pub(crate) const MAJOR_TAG: u8 = 6;

/// The IPLD tag marking a CID link.
pub(crate) const TAG_CID: u64 = 42;

/// Appends the shortest head for `major` with argument `n`, as DAG-CBOR demands.
pub(crate) fn write_head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend_from_slice(&[m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

/// Length of the head [`write_head`] would produce for `n`.
pub(crate) fn head_len(n: u64) -> u64 {
    match n {
        0..=23 => 1,
        24..=0xff => 2,
        0x100..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// A cursor over a header body that refuses anything outside strict DAG-CBOR.
pub(crate) struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// Position of the next unread byte, for error offsets.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Reads an item head, returning `(major, argument)`.
    pub(crate) fn head(&mut self) -> Result<(u8, u64), HeaderError> {
        let first = self.take(1)?[0];
        let major = first >> 5;
        let info = first & 0x1f;
        let (width, min) = match info {
            0..=23 => return Ok((major, u64::from(info))),
            24 => (1, 24),
            25 => (2, 0x100),
            26 => (4, 0x1_0000),
            27 => (8, 0x1_0000_0000),
            _ => return Err(HeaderError::NotDagCbor),
        };
        let n = self.take(width)?.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        if n < min {
            return Err(HeaderError::NotMinimal);
        }
        Ok((major, n))
    }

    /// Reads a head and insists on `major`, returning its argument.
    pub(crate) fn expect(&mut self, major: u8, what: &'static str) -> Result<u64, HeaderError> {
        match self.head()? {
            (m, n) if m == major => Ok(n),
            _ => Err(HeaderError::Expected(what)),
        }
    }

    /// Takes `n` bytes, refusing lengths larger than what is left (so no allocation is sized by
    /// an untrusted count).
    pub(crate) fn take(&mut self, n: u64) -> Result<&'a [u8], HeaderError> {
        let n = usize::try_from(n).ok().filter(|&n| n <= self.remaining()).ok_or(HeaderError::Truncated)?;
        let slice = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_minimal() {
        for n in [0, 23, 24, 255, 256, 65535, 65536, u64::from(u32::MAX), u64::from(u32::MAX) + 1, u64::MAX] {
            let mut out = Vec::new();
            write_head(&mut out, MAJOR_ARRAY, n);
            assert_eq!(out.len() as u64, head_len(n));
            assert_eq!(Decoder::new(&out).head().unwrap(), (MAJOR_ARRAY, n));
        }
    }

    #[test]
    fn refuses_non_minimal_and_indefinite() {
        assert!(matches!(Decoder::new(&[0x18, 0x05]).head(), Err(HeaderError::NotMinimal)));
        assert!(matches!(Decoder::new(&[0x19, 0x00, 0xff]).head(), Err(HeaderError::NotMinimal)));
        assert!(matches!(Decoder::new(&[0x9f]).head(), Err(HeaderError::NotDagCbor)));
        assert!(matches!(Decoder::new(&[0x1c]).head(), Err(HeaderError::NotDagCbor)));
        assert!(matches!(Decoder::new(&[0x1a, 0x00]).head(), Err(HeaderError::Truncated)));
        assert!(matches!(Decoder::new(&[0x45, 1, 2]).take(5), Err(HeaderError::Truncated)));
    }
}
