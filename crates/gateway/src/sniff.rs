//! A file's Content-Type: from its name's extension when it has a known one, else from its
//! first bytes (the few signatures browsers rely on, then UTF-8 text), else octet-stream.

use ipfs_kit_buckets::mime::guess_mime;

pub fn content_type(name: Option<&str>, head: &[u8]) -> String {
    let by_name = name.map(guess_mime).unwrap_or("application/octet-stream");
    let mime = if by_name != "application/octet-stream" { by_name } else { by_content(head) };
    if mime.starts_with("text/") || mime == "application/json" || mime == "image/svg+xml" {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_owned()
    }
}

fn by_content(head: &[u8]) -> &'static str {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"%PDF-", "application/pdf"),
        (b"PK\x03\x04", "application/zip"),
        (b"\x1f\x8b", "application/gzip"),
        (b"\x28\xb5\x2f\xfd", "application/zstd"),
        (b"PAR1", "application/vnd.apache.parquet"),
    ];
    if let Some((_, mime)) = SIGNATURES.iter().find(|(sig, _)| head.starts_with(sig)) {
        return mime;
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return "image/webp";
    }
    let text = head.trim_ascii_start();
    let lower: Vec<u8> = text.iter().take(15).map(u8::to_ascii_lowercase).collect();
    if lower.starts_with(b"<!doctype html") || lower.starts_with(b"<html") {
        return "text/html";
    }
    // UTF-8 text: valid (allowing a sequence cut at the end of the sample) and no NUL bytes.
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    if valid && !head.contains(&0) {
        return "text/plain";
    }
    "application/octet-stream"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_then_signatures_then_text() {
        assert_eq!(content_type(Some("a.json"), b"\x00"), "application/json; charset=utf-8");
        assert_eq!(content_type(None, b"\x89PNG\r\n\x1a\n...."), "image/png");
        assert_eq!(content_type(Some("noext"), b"  <!DOCTYPE html><p>"), "text/html; charset=utf-8");
        assert_eq!(content_type(None, "héllo".as_bytes()), "text/plain; charset=utf-8");
        assert_eq!(content_type(None, &"é".as_bytes()[..1]), "text/plain; charset=utf-8");
        assert_eq!(content_type(None, b"a\x00b"), "application/octet-stream");
    }
}
