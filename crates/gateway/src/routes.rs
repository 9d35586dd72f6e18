//! The routes, and what every answer shares: CORS, `OPTIONS`, the request log.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::content::{Content, answer};
use crate::headers::{IMMUTABLE, MUTABLE, Reject, cors};
use crate::negotiate::{negotiate, query_pairs};
use crate::resolve::{parse_root, split_path};
use crate::served::Served;

pub fn router(served: Arc<Served>) -> Router {
    Router::new()
        .route("/ipfs/{*rest}", get(ipfs))
        .route("/bucket/{*rest}", get(bucket))
        .route("/snapshot/{*rest}", get(snapshot))
        .route("/routing/v1/providers/{cid}", get(crate::routing::providers))
        .merge(crate::web::router())
        .fallback(|| async { Reject::not_found("no such page") })
        .layer(middleware::from_fn_with_state(served.clone(), around))
        .with_state(served)
}

/// CORS preflight, and one log line per request with `--log`.
async fn around(State(served): State<Arc<Served>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let (method, uri) = (request.method().clone(), request.uri().clone());
    let response = if !served.public && !loopback_host(request.headers()) {
        // DNS rebinding: a web page whose name now points at 127.0.0.1 must not read the home.
        Reject::new(StatusCode::FORBIDDEN, "this server answers only loopback names (localhost, 127.0.0.1, [::1])")
            .into_response()
    } else if method == Method::OPTIONS {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        cors(response.headers_mut());
        response
    } else {
        next.run(request).await
    };
    if served.log {
        let len = response.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).unwrap_or("-");
        eprintln!(
            "{method} {uri} {} {len} {:.1}ms",
            response.status().as_u16(),
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    response
}

/// `/ipfs/{cid}[/path]`.
async fn ipfs(State(served): State<Arc<Served>>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let rest = uri.path().strip_prefix("/ipfs/").unwrap_or_default();
    let (cid_text, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, ""),
    };
    match content(&uri, method, headers, cid_text, path, IMMUTABLE, false) {
        Ok(content) => answer(served, content).await,
        Err(reject) => reject.into_response(),
    }
}

/// Builds a content request from the URL's parts.
fn content(
    uri: &Uri,
    method: Method,
    headers: HeaderMap,
    root: &str,
    path: &str,
    cache: &'static str,
    named: bool,
) -> Result<Content, Reject> {
    let root = parse_root(root)?;
    let segments = split_path(path)?;
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let want = negotiate(&query_pairs(uri.query().unwrap_or_default()), accept)?;
    Ok(Content {
        root,
        segments,
        want,
        url_path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        cache,
        method,
        headers,
        named,
    })
}

/// Splits `first/rest…` after a route's prefix, percent-decoding `first`.
fn first_segment(rest: &str) -> Result<(String, &str), Reject> {
    let (first, tail) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, ""),
    };
    let first = percent_encoding::percent_decode_str(first)
        .decode_utf8()
        .map_err(|_| Reject::bad_request("a name in the URL is not UTF-8"))?
        .into_owned();
    if first.is_empty() {
        return Err(Reject::not_found("no name in the URL"));
    }
    Ok((first, tail))
}

/// `/bucket/{name}[/path]`: the bucket's working state. It moves, so answers are revalidated.
async fn bucket(State(served): State<Arc<Served>>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let result = async {
        let rest = uri.path().strip_prefix("/bucket/").unwrap_or_default();
        let (name, path) = first_segment(rest)?;
        if !served.serves_bucket(&name) {
            return Err(Reject::not_found(format!("no bucket {name:?} is served here")));
        }
        let lookup = name.clone();
        let root = served.read(move |_, home| Ok(home.info(&lookup)?.row.root)).await?;
        let path = path.to_owned();
        content(&uri, method, headers, &root.to_string(), &path, MUTABLE, true)
    }
    .await;
    match result {
        Ok(content) => answer(served, content).await,
        Err(reject) => reject.into_response(),
    }
}

/// `/snapshot/{id}/{bucket}[/path]`: a bucket as a snapshot recorded it (`id` is a snapshot
/// id or its global CID).
async fn snapshot(State(served): State<Arc<Served>>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let result = async {
        let rest = uri.path().strip_prefix("/snapshot/").unwrap_or_default();
        let (id, tail) = first_segment(rest)?;
        let (name, path) = first_segment(tail.trim_start_matches('/'))?;
        if !served.serves_bucket(&name) {
            return Err(Reject::not_found(format!("no bucket {name:?} is served here")));
        }
        let (spec, lookup) = (id.clone(), name.clone());
        let root = served
            .read(move |_, home| {
                let record = home.find_snapshot(&spec)?;
                let bucket = record
                    .buckets
                    .get(&lookup)
                    .ok_or_else(|| Reject::not_found(format!("snapshot {spec} has no bucket {lookup:?}")))?;
                Ok(bucket.root(&record.snapshot_id)?)
            })
            .await?;
        let path = path.to_owned();
        content(&uri, method, headers, &root.to_string(), &path, IMMUTABLE, true)
    }
    .await;
    match result {
        Ok(content) => answer(served, content).await,
        Err(reject) => reject.into_response(),
    }
}

/// Whether the request names a loopback host (or none, as HTTP/1.0 may): `localhost` and its
/// subdomains, `127.0.0.0/8`, `[::1]`.
fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST) else {
        return true;
    };
    let Ok(host) = host.to_str() else {
        return false;
    };
    let name = if host.starts_with('[') {
        host.split(']').next().map(|h| h.trim_start_matches('[')).unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_pass_without_public() {
        let host = |h: &str| {
            let mut map = HeaderMap::new();
            map.insert(header::HOST, h.parse().unwrap());
            loopback_host(&map)
        };
        for ok in ["127.0.0.1:8080", "localhost", "LOCALHOST:1", "a.localhost:9", "[::1]:80", "127.9.9.9", "localhost."]
        {
            assert!(host(ok), "{ok}");
        }
        for bad in ["evil.example:8080", "10.0.0.1", "localhost.evil.example", "[::2]:80", "127.0.0.1.evil"] {
            assert!(!host(bad), "{bad}");
        }
        assert!(loopback_host(&HeaderMap::new()));
    }
}
