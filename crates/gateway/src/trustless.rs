//! Trustless answers: one raw block, or a CAR stream (`car_walk`).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use cid::Cid;

use crate::body;
use crate::car_walk::{CarWalk, Entity, entity_of};
use crate::conditional::precondition;
use crate::content::{Content, check_root, follow};
use crate::file_range::load;
use crate::headers::{Reject, cors, value};
use crate::negotiate::{CarParams, DagScope};
use crate::served::Served;

/// `format=raw`: the terminal block's bytes.
pub async fn raw(served: &Arc<Served>, content: Arc<Content>) -> Result<Response, Reject> {
    let (roots, cid, block, len) = served.read_inline(|served, home| {
        check_root(served, home, &content)?;
        let resolved = follow(home, &content)?;
        let (block, len) = if content.head_only() {
            (Bytes::new(), crate::file_range::block_len(home.store(), &resolved.terminal)?)
        } else {
            let block = load(home.store(), &resolved.terminal)?;
            let len = block.len() as u64;
            (block, len)
        };
        Ok((resolved.roots, resolved.terminal, block, len))
    })?;
    let etag = format!("\"{cid}.raw\"");
    let mut response = answer_or_precondition(&content, &etag, Body::from(block))?;
    let status_ok = response.status() == StatusCode::OK;
    let headers = response.headers_mut();
    content.content_headers(&roots).apply(headers);
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.ipld.raw"));
    if status_ok {
        headers.insert(header::CONTENT_LENGTH, value(&len.to_string()));
    }
    headers.insert(header::CONTENT_DISPOSITION, value(&format!("attachment; filename=\"{cid}.bin\"")));
    headers.insert(header::ETAG, value(&etag));
    location(&content, "raw", headers);
    Ok(response)
}

/// `format=car`: the path's blocks, then the terminal's scope, streamed.
pub async fn car(served: &Arc<Served>, content: Arc<Content>, params: CarParams) -> Result<Response, Reject> {
    let asked = content.clone();
    let car_params = params.clone();
    let (roots, terminal, walk) = served
        .read(move |served, home| {
            check_root(served, home, &asked)?;
            let resolved = follow(home, &asked)?;
            // The terminal must be here before the 200 goes out: a missing root is a 404.
            crate::file_range::block_len(home.store(), &resolved.terminal)?;
            let entity = match car_params.scope {
                DagScope::Entity => entity_of(home.store(), &resolved.terminal)?,
                _ => Entity::Other,
            };
            let range = match (car_params.bytes, entity) {
                (Some(bytes), Entity::File { size }) => {
                    let range = bytes.resolve(size);
                    if range.is_none() && bytes.from >= 0 && bytes.from as u64 >= size && size > 0 {
                        return Err(Reject::bad_request(format!(
                            "entity-bytes={} is past the end of the {size}-byte file",
                            bytes.spelled()
                        )));
                    }
                    Some(range)
                }
                _ => None,
            };
            let walk = CarWalk::new(asked.root, resolved.blocks, resolved.terminal, &car_params, entity, range);
            Ok((resolved.roots, resolved.terminal, walk))
        })
        .await?;
    let etag = car_etag(&content, &terminal, &params);
    let body = if content.head_only() {
        Body::empty()
    } else {
        body::stream(served.clone(), walk, |walk: &mut CarWalk, home| walk.next_chunk(home.store(), body::CHUNK))
    };
    let mut response = answer_or_precondition(&content, &etag, body)?;
    let headers = response.headers_mut();
    content.content_headers(&roots).apply(headers);
    let dups = if params.dups { "y" } else { "n" };
    headers
        .insert(header::CONTENT_TYPE, value(&format!("application/vnd.ipld.car; version=1; order=dfs; dups={dups}")));
    headers.insert(header::CONTENT_DISPOSITION, value(&format!("attachment; filename=\"{terminal}.car\"")));
    headers.insert(header::ETAG, value(&etag));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("none"));
    location(&content, "car", headers);
    Ok(response)
}

/// The Etag of a CAR answer: weak (the spec allows another order), and different for every
/// path, scope, range and `dups` (the spec asks each to change it).
fn car_etag(content: &Content, terminal: &Cid, params: &CarParams) -> String {
    let key = format!(
        "{}|{}|{}|{}",
        content.url_path,
        params.scope.name(),
        params.bytes.map(|b| b.spelled()).unwrap_or_default(),
        params.dups
    );
    format!("W/\"{terminal}.car.{:016x}\"", fnv1a(key.as_bytes()))
}

/// FNV-1a, 64 bits: a stable short hash for Etags (the same on every run and build).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, &b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

/// The answer, or 304/412 when the request's conditions say so.
pub fn answer_or_precondition(content: &Content, etag: &str, body: Body) -> Result<Response, Reject> {
    let mut response = Response::new(body);
    if let Some(status) = precondition(&content.headers, etag) {
        if status == StatusCode::PRECONDITION_FAILED {
            return Err(Reject::new(status, "the Etag does not match If-Match"));
        }
        *response.body_mut() = Body::empty();
        *response.status_mut() = status;
    }
    cors(response.headers_mut());
    Ok(response)
}

/// `Content-Location` with `format=`, when the format came from `Accept` alone (the spec's
/// SHOULD, so caches keep the two answers apart).
fn location(content: &Content, format: &str, headers: &mut axum::http::HeaderMap) {
    let has_format = content.query.as_deref().is_some_and(|q| q.split('&').any(|p| p.starts_with("format=")));
    if !has_format {
        let query = match content.query.as_deref() {
            Some(q) if !q.is_empty() => format!("{q}&format={format}"),
            _ => format!("format={format}"),
        };
        headers.insert(header::CONTENT_LOCATION, value(&format!("{}?{query}", content.url_path)));
    }
}
