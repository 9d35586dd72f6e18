//! The UnixFS `Data` message that sits in a dag-pb node's data field and says what the node is:
//! a file or a piece of one, a directory, a HAMT shard or a symlink.
//!
//! Fields are written in field-number order with `blocksizes` unpacked, as Kubo and Helia
//! write them; the decoder accepts only that order. The message borrows its payload so that a
//! 1 MiB leaf is not copied just to be looked at.

use crate::error::DecodeError;
use crate::pb::length_delimited;
use crate::varint;

/// The UnixFS node types, with their wire numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    Raw = 0,
    Directory = 1,
    File = 2,
    Metadata = 3,
    Symlink = 4,
    HamtShard = 5,
}

impl DataType {
    fn from_wire(n: u64) -> Result<Self, DecodeError> {
        Ok(match n {
            0 => DataType::Raw,
            1 => DataType::Directory,
            2 => DataType::File,
            3 => DataType::Metadata,
            4 => DataType::Symlink,
            5 => DataType::HamtShard,
            other => return Err(DecodeError::UnknownDataType(other)),
        })
    }

    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            DataType::Raw => "raw node",
            DataType::Directory => "directory",
            DataType::File => "file",
            DataType::Metadata => "metadata node",
            DataType::Symlink => "symlink",
            DataType::HamtShard => "HAMT shard",
        }
    }
}

/// The `mtime` field: seconds and nanoseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnixTime {
    pub seconds: i64,
    pub nanos: Option<u32>,
}

/// A decoded or to-be-encoded UnixFS `Data` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnixFsData<'a> {
    pub kind: DataType,
    pub data: Option<&'a [u8]>,
    pub filesize: Option<u64>,
    pub blocksizes: Vec<u64>,
    pub hash_type: Option<u64>,
    pub fanout: Option<u64>,
    pub mode: Option<u32>,
    pub mtime: Option<UnixTime>,
}

impl<'a> UnixFsData<'a> {
    /// A message of this type with every optional field absent.
    pub fn new(kind: DataType) -> Self {
        UnixFsData {
            kind,
            data: None,
            filesize: None,
            blocksizes: Vec::new(),
            hash_type: None,
            fanout: None,
            mode: None,
            mtime: None,
        }
    }

    /// Encodes the message in field-number order.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.data.map_or(0, <[u8]>::len) + 4 * self.blocksizes.len());
        out.push(0x08);
        varint::put(&mut out, self.kind as u64);
        if let Some(data) = self.data {
            out.push(0x12);
            varint::put(&mut out, data.len() as u64);
            out.extend_from_slice(data);
        }
        if let Some(filesize) = self.filesize {
            out.push(0x18);
            varint::put(&mut out, filesize);
        }
        for &size in &self.blocksizes {
            out.push(0x20);
            varint::put(&mut out, size);
        }
        if let Some(hash_type) = self.hash_type {
            out.push(0x28);
            varint::put(&mut out, hash_type);
        }
        if let Some(fanout) = self.fanout {
            out.push(0x30);
            varint::put(&mut out, fanout);
        }
        if let Some(mode) = self.mode {
            out.push(0x38);
            varint::put(&mut out, u64::from(mode));
        }
        if let Some(mtime) = self.mtime {
            let mut body = vec![0x08];
            varint::put(&mut body, mtime.seconds as u64);
            if let Some(nanos) = mtime.nanos {
                body.push(0x15);
                body.extend_from_slice(&nanos.to_le_bytes());
            }
            out.push(0x42);
            varint::put(&mut out, body.len() as u64);
            out.extend_from_slice(&body);
        }
        out
    }

    /// Decodes a message, refusing unknown fields and fields out of order.
    pub fn decode(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let mut msg = UnixFsData::new(DataType::Raw);
        let mut seen_type = false;
        let mut last_field = 0;
        let mut pos = 0;
        while pos < buf.len() {
            let at = pos;
            let tag = varint::get(buf, &mut pos)?;
            let (field, wire_type) = (tag >> 3, tag & 7);
            // blocksizes (4) is the one field that may repeat.
            if field < last_field || (field == last_field && field != 4) {
                return Err(DecodeError::FieldOrder { message: "UnixFS Data", field, offset: at });
            }
            last_field = field;
            match (field, wire_type) {
                (1, 0) => {
                    msg.kind = DataType::from_wire(varint::get(buf, &mut pos)?)?;
                    seen_type = true;
                }
                (2, 2) => msg.data = Some(length_delimited(buf, &mut pos)?),
                (3, 0) => msg.filesize = Some(varint::get(buf, &mut pos)?),
                (4, 0) => msg.blocksizes.push(varint::get(buf, &mut pos)?),
                (5, 0) => msg.hash_type = Some(varint::get(buf, &mut pos)?),
                (6, 0) => msg.fanout = Some(varint::get(buf, &mut pos)?),
                (7, 0) => msg.mode = Some(varint::get(buf, &mut pos)? as u32),
                (8, 2) => msg.mtime = Some(decode_mtime(length_delimited(buf, &mut pos)?)?),
                _ => {
                    return Err(DecodeError::UnexpectedField { message: "UnixFS Data", field, wire_type, offset: at });
                }
            }
        }
        if !seen_type {
            return Err(DecodeError::MissingField { message: "UnixFS Data", field: "Type" });
        }
        Ok(msg)
    }
}

fn decode_mtime(buf: &[u8]) -> Result<UnixTime, DecodeError> {
    let mut pos = 0;
    let mut time = UnixTime { seconds: 0, nanos: None };
    let mut last_field = 0;
    while pos < buf.len() {
        let at = pos;
        let tag = varint::get(buf, &mut pos)?;
        let (field, wire_type) = (tag >> 3, tag & 7);
        if field <= last_field {
            return Err(DecodeError::FieldOrder { message: "UnixTime", field, offset: at });
        }
        last_field = field;
        match (field, wire_type) {
            (1, 0) => time.seconds = varint::get(buf, &mut pos)? as i64,
            (2, 5) => {
                let bytes = buf.get(pos..pos + 4).ok_or(DecodeError::Truncated { offset: pos })?;
                time.nanos = Some(u32::from_le_bytes(bytes.try_into().expect("4 bytes")));
                pos += 4;
            }
            _ => {
                return Err(DecodeError::UnexpectedField { message: "UnixTime", field, wire_type, offset: at });
            }
        }
    }
    Ok(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_is_two_bytes() {
        assert_eq!(UnixFsData::new(DataType::Directory).encode(), vec![0x08, 0x01]);
    }

    #[test]
    fn round_trips_every_field() {
        let payload = [1u8, 2, 3];
        let msg = UnixFsData {
            kind: DataType::File,
            data: Some(&payload),
            filesize: Some(300),
            blocksizes: vec![100, 200],
            hash_type: Some(0x22),
            fanout: Some(256),
            mode: Some(0o644),
            mtime: Some(UnixTime { seconds: 1_700_000_000, nanos: Some(5) }),
        };
        let bytes = msg.encode();
        assert_eq!(UnixFsData::decode(&bytes).unwrap(), msg);
    }

    #[test]
    fn rejects_out_of_order_unknown_and_missing() {
        // filesize before Type.
        assert!(matches!(UnixFsData::decode(&[0x18, 0x00, 0x08, 0x02]), Err(DecodeError::FieldOrder { .. })));
        // Field 9.
        assert!(matches!(UnixFsData::decode(&[0x08, 0x02, 0x48, 0x00]), Err(DecodeError::UnexpectedField { .. })));
        // No Type.
        assert!(matches!(UnixFsData::decode(&[0x18, 0x00]), Err(DecodeError::MissingField { .. })));
        // Type 9.
        assert!(matches!(UnixFsData::decode(&[0x08, 0x09]), Err(DecodeError::UnknownDataType(9))));
        // Type twice.
        assert!(matches!(UnixFsData::decode(&[0x08, 0x02, 0x08, 0x02]), Err(DecodeError::FieldOrder { .. })));
    }
}
