//! Deserialised answers (path gateway): a file's bytes (with `Range`), a directory's
//! `index.html` or listing, a symlink's target, another codec's block as it is.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use cid::Cid;
use ipfs_kit_buckets::Buckets;
use ipfs_kit_unixfs::DagReader;
use ipfs_kit_unixfs::data::DataType;

use crate::body;
use crate::car_walk::{Entity, entity_of};
use crate::content::{Content, check_root, follow};
use crate::file_range::{FileWalk, load};
use crate::headers::{Reject, value};
use crate::listing::{LISTING_VERSION, render};
use crate::served::Served;
use crate::sniff::content_type;
use crate::trustless::{answer_or_precondition, fnv1a};

/// What the terminal turned out to be, and what to send for it.
enum Plan {
    File { cid: Cid, size: u64, content_type: String },
    Redirect(String),
    Listing { cid: Cid, html: String },
    Symlink { cid: Cid, target: Vec<u8> },
    Block { cid: Cid, bytes: Bytes, content_type: &'static str },
}

pub async fn answer(served: &Arc<Served>, content: Arc<Content>) -> Result<Response, Reject> {
    let asked = content.clone();
    let (roots, plan) = served
        .read(move |served, home| {
            check_root(served, home, &asked)?;
            let mut resolved = follow(home, &asked)?;
            let plan = plan(home, &asked, &mut resolved.roots, resolved.terminal)?;
            Ok((resolved.roots, plan))
        })
        .await?;
    match plan {
        Plan::Redirect(location) => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::MOVED_PERMANENTLY;
            response.headers_mut().insert(header::LOCATION, value(&location));
            crate::headers::cors(response.headers_mut());
            Ok(response)
        }
        Plan::File { cid, size, content_type } => file(served, &content, &roots, cid, size, content_type),
        Plan::Listing { cid, html } => {
            let etag = format!("\"DirIndex-{LISTING_VERSION}-{:08x}_CID-{cid}\"", fnv1a(html.as_bytes()) as u32);
            small(&content, &roots, &etag, "text/html; charset=utf-8", Bytes::from(html))
        }
        Plan::Symlink { cid, target } => {
            small(&content, &roots, &format!("\"{cid}\""), "inode/symlink", Bytes::from(target))
        }
        Plan::Block { cid, bytes, content_type } => small(&content, &roots, &format!("\"{cid}\""), content_type, bytes),
    }
}

/// Decides the answer for the terminal, on the read pool. `roots` gains `index.html` when a
/// directory is answered with it.
fn plan(home: &Buckets, content: &Content, roots: &mut Vec<Cid>, terminal: Cid) -> Result<Plan, Reject> {
    let store = home.store();
    let name = content.segments.names.last().map(String::as_str);
    let kind = match terminal.codec() {
        0x55 => DataType::Raw,
        0x70 => DagReader::trusting(store).pb_node(&terminal)?.1,
        0x71 => return block(store, terminal, "application/vnd.ipld.dag-cbor"),
        0x0129 => return block(store, terminal, "application/vnd.ipld.dag-json"),
        0x0200 => return block(store, terminal, "application/json"),
        0x51 => return block(store, terminal, "application/cbor"),
        _ => {
            return Err(Reject::not_acceptable(format!(
                "{terminal} cannot be shown: ask for format=raw or format=car"
            )));
        }
    };
    match kind {
        DataType::Raw | DataType::File => file_plan(store, terminal, name),
        DataType::Directory | DataType::HamtShard => {
            if !content.segments.trailing_slash {
                let query = content.query.as_deref().map(|q| format!("?{q}")).unwrap_or_default();
                return Ok(Plan::Redirect(format!("{}/{query}", content.url_path)));
            }
            let reader = DagReader::trusting(store);
            if let Some(index) = reader.lookup(&terminal, "index.html")?
                && matches!(reader.entry_kind(&index), Ok(ipfs_kit_unixfs::EntryKind::File))
            {
                roots.push(index);
                return file_plan(store, index, Some("index.html"));
            }
            let entries = reader.list(&terminal)?;
            Ok(Plan::Listing {
                cid: terminal,
                html: render(&content.url_path, !content.segments.names.is_empty(), &terminal, &entries),
            })
        }
        DataType::Symlink => {
            Ok(Plan::Symlink { cid: terminal, target: DagReader::trusting(store).read_link(&terminal)? })
        }
        DataType::Metadata => Err(Reject::not_acceptable(format!("{terminal} is UnixFS metadata: ask for format=raw"))),
    }
}

fn block(store: &dyn ipfs_kit_unixfs::BlockSource, cid: Cid, content_type: &'static str) -> Result<Plan, Reject> {
    Ok(Plan::Block { cid, bytes: load(store, &cid)?, content_type })
}

fn file_plan(store: &dyn ipfs_kit_unixfs::BlockSource, cid: Cid, name: Option<&str>) -> Result<Plan, Reject> {
    let Entity::File { size } = entity_of(store, &cid)? else {
        return Err(Reject::internal(format!("{cid} is not a file")));
    };
    // The first bytes, for sniffing when the name says nothing.
    let mut walk = FileWalk::new(cid, 0, size.min(512));
    let mut head = Vec::new();
    while head.len() < 512 {
        match walk.next_piece(store)? {
            Some(piece) => head.extend_from_slice(&piece.data),
            None => break,
        }
    }
    Ok(Plan::File { cid, size, content_type: content_type(name, &head) })
}

/// A small answer made in one piece.
fn small(content: &Content, roots: &[Cid], etag: &str, content_type: &str, bytes: Bytes) -> Result<Response, Reject> {
    let len = bytes.len();
    let body = if content.head_only() { Body::empty() } else { Body::from(bytes) };
    let mut response = answer_or_precondition(content, etag, body)?;
    let ok = response.status() == StatusCode::OK;
    let headers = response.headers_mut();
    content.content_headers(roots).apply(headers);
    headers.insert(header::ETAG, value(etag));
    headers.insert(header::CONTENT_TYPE, value(content_type));
    if ok {
        headers.insert(header::CONTENT_LENGTH, value(&len.to_string()));
    }
    Ok(response)
}

/// A file's bytes, all of them or one `Range`.
fn file(
    served: &Arc<Served>,
    content: &Content,
    roots: &[Cid],
    cid: Cid,
    size: u64,
    content_type: String,
) -> Result<Response, Reject> {
    let range = match content.headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(spec) => match parse_range(spec, size) {
            RangeAsk::Ignore => None,
            RangeAsk::One(start, end) => Some((start, end)),
            RangeAsk::Unsatisfiable => {
                let mut response = Reject::new(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    format!("the range {spec:?} is outside the {size}-byte file"),
                )
                .into_response_with_cors();
                response.headers_mut().insert(header::CONTENT_RANGE, value(&format!("bytes */{size}")));
                return Ok(response);
            }
        },
    };
    let (start, end) = range.unwrap_or((0, size));
    let etag = match range {
        None => format!("\"{cid}\""),
        Some((s, e)) => format!("\"{cid}.{s}-{}\"", e - 1),
    };
    let body = if content.head_only() {
        Body::empty()
    } else {
        body::stream(served.clone(), FileWalk::new(cid, start, end), |walk: &mut FileWalk, home| {
            let mut pieces = Vec::new();
            let mut made = 0;
            while made < body::CHUNK {
                match walk.next_piece(home.store())? {
                    Some(piece) if piece.data.is_empty() => {}
                    Some(piece) => {
                        made += piece.data.len();
                        pieces.push(piece.data);
                    }
                    None => break,
                }
            }
            Ok((!pieces.is_empty()).then_some(pieces))
        })
    };
    let mut response = answer_or_precondition(content, &etag, body)?;
    let ok = response.status() == StatusCode::OK;
    let headers = response.headers_mut();
    content.content_headers(roots).apply(headers);
    headers.insert(header::ETAG, value(&etag));
    headers.insert(header::CONTENT_TYPE, value(&content_type));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if ok {
        headers.insert(header::CONTENT_LENGTH, value(&(end - start).to_string()));
        if range.is_some() {
            headers.insert(header::CONTENT_RANGE, value(&format!("bytes {start}-{}/{size}", end - 1)));
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        }
    }
    Ok(response)
}

#[derive(Debug, PartialEq, Eq)]
enum RangeAsk {
    /// No usable single range (malformed, or several ranges): the whole file, 200.
    Ignore,
    /// `[start, end)`.
    One(u64, u64),
    /// 416.
    Unsatisfiable,
}

/// `bytes=a-b`, `bytes=a-` or `bytes=-n` (RFC 9110, 14.1.2).
fn parse_range(spec: &str, size: u64) -> RangeAsk {
    let Some(set) = spec.trim().strip_prefix("bytes=") else {
        return RangeAsk::Ignore;
    };
    if set.contains(',') {
        return RangeAsk::Ignore;
    }
    let Some((a, b)) = set.trim().split_once('-') else {
        return RangeAsk::Ignore;
    };
    let (a, b) = (a.trim(), b.trim());
    let parse = |s: &str| s.parse::<u64>().ok();
    match (a.is_empty(), b.is_empty()) {
        // `-n`: the last n bytes; none of an empty file.
        (true, false) => match parse(b) {
            Some(0) => RangeAsk::Unsatisfiable,
            Some(_) if size == 0 => RangeAsk::Unsatisfiable,
            Some(n) => RangeAsk::One(size - n.min(size), size),
            None => RangeAsk::Ignore,
        },
        (false, _) => {
            let Some(start) = parse(a) else {
                return RangeAsk::Ignore;
            };
            let end = match (b.is_empty(), parse(b)) {
                (true, _) => size,
                (false, Some(last)) if last >= start => last.saturating_add(1).min(size),
                _ => return RangeAsk::Ignore,
            };
            if start >= size { RangeAsk::Unsatisfiable } else { RangeAsk::One(start, end) }
        }
        (true, true) => RangeAsk::Ignore,
    }
}

impl Reject {
    fn into_response_with_cors(self) -> Response {
        let mut response = axum::response::IntoResponse::into_response(self);
        crate::headers::cors(response.headers_mut());
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(parse_range("bytes=0-9", 100), RangeAsk::One(0, 10));
        assert_eq!(parse_range("bytes=90-", 100), RangeAsk::One(90, 100));
        assert_eq!(parse_range("bytes=-10", 100), RangeAsk::One(90, 100));
        assert_eq!(parse_range("bytes=-1000", 100), RangeAsk::One(0, 100));
        assert_eq!(parse_range("bytes=50-1000", 100), RangeAsk::One(50, 100));
        assert_eq!(parse_range("bytes=100-", 100), RangeAsk::Unsatisfiable);
        assert_eq!(parse_range("bytes=200-300", 100), RangeAsk::Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), RangeAsk::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), RangeAsk::Ignore);
        assert_eq!(parse_range("bytes=9-3", 100), RangeAsk::Ignore);
        assert_eq!(parse_range("items=0-1", 100), RangeAsk::Ignore);
        assert_eq!(parse_range("bytes=x-", 100), RangeAsk::Ignore);
    }
}
