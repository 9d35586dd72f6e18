//! Unsigned LEB128 varints, as used for every length prefix in a CAR.
//!
//! Decoding is strict: a value must be minimally encoded (go-car and js-car both reject padded
//! varints, so accepting them would let us read files nobody else can) and must fit in 64 bits.

use std::io;

/// Longest encoding of a `u64`: ceil(64 / 7).
pub(crate) const MAX_LEN: usize = 10;

/// Why a varint could not be decoded; the caller knows where it started and attaches the offset.
#[derive(Debug)]
pub(crate) enum VarintError {
    Io(io::Error),
    Truncated,
    Overflow,
    NotMinimal,
}

/// Encodes `value` into `buf`, returning the used prefix.
pub(crate) fn encode(value: u64, buf: &mut [u8; MAX_LEN]) -> &[u8] {
    let mut v = value;
    let mut i = 0;
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            buf[i] = byte;
            return &buf[..=i];
        }
        buf[i] = byte | 0x80;
        i += 1;
    }
}

/// Bytes needed to encode `value`; lets writers plan sizes without encoding.
pub(crate) fn encoded_len(value: u64) -> u64 {
    let bits = 64 - u64::from(value.leading_zeros());
    bits.div_ceil(7).max(1)
}

/// Decodes one varint, pulling bytes from `next` until the last group.
///
/// `Ok(None)` means `next` reported end of input before the first byte, which callers treat as a
/// clean end; an end after the first byte is `Truncated`.
pub(crate) fn read(mut next: impl FnMut() -> io::Result<Option<u8>>) -> Result<Option<u64>, VarintError> {
    let mut value: u64 = 0;
    for i in 0..MAX_LEN {
        let byte = match next().map_err(VarintError::Io)? {
            Some(b) => b,
            None if i == 0 => return Ok(None),
            None => return Err(VarintError::Truncated),
        };
        // The tenth group may only contribute the single remaining bit.
        if i == MAX_LEN - 1 && byte > 1 {
            return Err(VarintError::Overflow);
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            if byte == 0 && i > 0 {
                return Err(VarintError::NotMinimal);
            }
            return Ok(Some(value));
        }
    }
    Err(VarintError::Overflow)
}

/// Decodes one varint from the front of `bytes`, returning the value and its encoded length.
pub(crate) fn decode(bytes: &[u8]) -> Result<(u64, usize), VarintError> {
    let mut pos = 0;
    let value = read(|| {
        let b = bytes.get(pos).copied();
        pos += usize::from(b.is_some());
        Ok(b)
    })?
    .ok_or(VarintError::Truncated)?;
    Ok((value, pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(v: u64) -> Vec<u8> {
        encode(v, &mut [0; MAX_LEN]).to_vec()
    }

    #[test]
    fn known_encodings() {
        assert_eq!(enc(0), [0x00]);
        assert_eq!(enc(1), [0x01]);
        assert_eq!(enc(127), [0x7f]);
        assert_eq!(enc(128), [0x80, 0x01]);
        assert_eq!(enc(300), [0xac, 0x02]);
        assert_eq!(enc(0x0401), [0x81, 0x08]);
        assert_eq!(enc(u64::MAX), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    }

    #[test]
    fn round_trip_and_len() {
        let mut values = vec![0, 1, 127, 128, 16383, 16384, u64::MAX, u64::MAX >> 1, 1 << 63];
        values.extend((0..64).map(|s| 1u64 << s));
        values.extend((1..64).map(|s| (1u64 << s) - 1));
        for v in values {
            let bytes = enc(v);
            assert_eq!(encoded_len(v), bytes.len() as u64, "{v}");
            assert_eq!(decode(&bytes).unwrap(), (v, bytes.len()), "{v}");
        }
    }

    #[test]
    fn refuses_bad_encodings() {
        assert!(matches!(decode(&[0x80, 0x00]), Err(VarintError::NotMinimal)));
        assert!(matches!(decode(&[0xff, 0x80, 0x00]), Err(VarintError::NotMinimal)));
        assert!(matches!(decode(&[0x80]), Err(VarintError::Truncated)));
        assert!(matches!(decode(&[]), Err(VarintError::Truncated)));
        // 2^64 needs a tenth group of 2.
        assert!(matches!(
            decode(&[0xff; 9].iter().copied().chain([0x02]).collect::<Vec<_>>()),
            Err(VarintError::Overflow)
        ));
        // Eleven groups.
        assert!(matches!(decode(&[0x80; 11]), Err(VarintError::Overflow)));
    }
}
