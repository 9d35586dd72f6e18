//! Protobuf base-128 varints, with the strictness a canonical decoder needs.
//!
//! Encoders write the shortest form. The decoder rejects anything else (a trailing `0x80 0x00`
//! padding, or more than 64 bits), because two byte strings for one value would give one DAG
//! two CIDs.

use crate::error::DecodeError;

/// Appends `value` in its shortest varint form.
pub fn put(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// The number of bytes `put` writes for `value`.
pub fn len(value: u64) -> usize {
    let bits = 64 - (value | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Reads a minimal varint at `*pos`, advancing `*pos` past it.
pub fn get(buf: &[u8], pos: &mut usize) -> Result<u64, DecodeError> {
    let start = *pos;
    let mut value: u64 = 0;
    for shift in (0..64).step_by(7) {
        let Some(&byte) = buf.get(*pos) else {
            return Err(DecodeError::Truncated { offset: start });
        };
        *pos += 1;
        let bits = u64::from(byte & 0x7f);
        if shift == 63 && bits > 1 {
            return Err(DecodeError::VarintOverflow { offset: start });
        }
        value |= bits << shift;
        if byte & 0x80 == 0 {
            if byte == 0 && shift > 0 {
                return Err(DecodeError::NonMinimalVarint { offset: start });
            }
            return Ok(value);
        }
    }
    Err(DecodeError::VarintOverflow { offset: start })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_boundaries() {
        for v in [0, 1, 127, 128, 16383, 16384, u32::MAX as u64, u64::MAX] {
            let mut buf = Vec::new();
            put(&mut buf, v);
            assert_eq!(buf.len(), len(v), "len({v})");
            let mut pos = 0;
            assert_eq!(get(&buf, &mut pos).unwrap(), v);
            assert_eq!(pos, buf.len());
        }
    }

    #[test]
    fn rejects_padding_overflow_and_truncation() {
        let mut pos = 0;
        assert!(matches!(get(&[0x80, 0x00], &mut pos), Err(DecodeError::NonMinimalVarint { .. })));
        let mut pos = 0;
        let eleven = [0xff; 10].iter().copied().chain([0x01]).collect::<Vec<_>>();
        assert!(matches!(get(&eleven, &mut pos), Err(DecodeError::VarintOverflow { .. })));
        let mut pos = 0;
        let too_big = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(matches!(get(&too_big, &mut pos), Err(DecodeError::VarintOverflow { .. })));
        let mut pos = 0;
        assert!(matches!(get(&[0x80], &mut pos), Err(DecodeError::Truncated { .. })));
    }
}
