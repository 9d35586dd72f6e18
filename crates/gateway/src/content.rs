//! One content request, whichever route named it (`/ipfs/{cid}`, `/bucket/{name}`,
//! `/snapshot/{id}/{bucket}`): the checks every answer shares, then the answer its format asks
//! for (`trustless` for raw blocks and CARs, `unixfs_response` for the rest).

use std::sync::Arc;

use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cid::Cid;
use ipfs_kit_buckets::Buckets;

use crate::headers::{ContentHeaders, Reject};
use crate::negotiate::Want;
use crate::resolve::{Resolved, Segments, resolve};
use crate::served::Served;

const IDENTITY: u64 = 0x00;

/// What was asked, once the route has found the root.
pub struct Content {
    pub root: Cid,
    pub segments: Segments,
    pub want: Want,
    /// The URL path as sent (`X-Ipfs-Path`, redirects).
    pub url_path: String,
    pub query: Option<String>,
    /// `IMMUTABLE` under `/ipfs/` and `/snapshot/`, `MUTABLE` for a bucket's working state.
    pub cache: &'static str,
    pub method: Method,
    pub headers: HeaderMap,
    /// The root came from a served bucket's name (catalog or snapshot), so it is served
    /// whatever the reach set says yet (it is rebuilt at most once a second).
    pub named: bool,
}

impl Content {
    pub fn head_only(&self) -> bool {
        self.method == Method::HEAD
    }

    pub fn content_headers<'a>(&'a self, roots: &'a [Cid]) -> ContentHeaders<'a> {
        ContentHeaders { path: &self.url_path, roots, cache: self.cache }
    }

    /// `Cache-Control: only-if-cached`: answer only from what is here.
    fn only_if_cached(&self) -> bool {
        self.headers
            .get_all(header::CACHE_CONTROL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|d| d.trim().eq_ignore_ascii_case("only-if-cached")))
    }
}

/// Whether the root block is served, and for `only-if-cached` and `HEAD`, here: 404
/// otherwise (412 for `only-if-cached`). A `GET` learns whether the root is here when it
/// reads it (404 then), which spares a lookup per request.
pub fn check_root(served: &Served, home: &Buckets, content: &Content) -> Result<(), Reject> {
    let root = &content.root;
    let look = content.only_if_cached() || content.head_only();
    let held = !look || root.hash().code() == IDENTITY || home.store().has(root).map_err(Reject::internal)?;
    if held && (content.named || served.serves_block(home, root)?) {
        return Ok(());
    }
    if content.only_if_cached() {
        return Err(Reject::new(StatusCode::PRECONDITION_FAILED, format!("{root} is not held here (only-if-cached)")));
    }
    Err(Reject::not_found(format!("{root} is not held here")))
}

/// Follows the path, on the read pool.
pub fn follow(home: &Buckets, content: &Content) -> Result<Resolved, Reject> {
    let reader = ipfs_kit_unixfs::DagReader::trusting(home.store());
    resolve(&reader, content.root, &content.segments.names)
}

/// Answers a content request.
pub async fn answer(served: Arc<Served>, content: Content) -> Response {
    let content = Arc::new(content);
    let result = match content.want.clone() {
        Want::Raw => crate::trustless::raw(&served, content.clone()).await,
        Want::Car(params) => crate::trustless::car(&served, content.clone(), params).await,
        Want::Deserialized => crate::unixfs_response::answer(&served, content.clone()).await,
    };
    result.unwrap_or_else(IntoResponse::into_response)
}
