//! The web page at `/`: buckets, their files and versions, where each version lives, and a
//! CID search. Plain server-rendered HTML with a little CSS; no build step.
//!
//! One module per page (`buckets`, `bucket`, `versions`, `diff`, `find`), each a handler that
//! reads what it shows on the read pool and a pure function that renders it (tested without a
//! server); `page` is the frame they share. Buckets that `--bucket` does not serve are neither
//! listed nor reachable: every page about a bucket asks `require_served` first, so it answers
//! 404 exactly as for a bucket that does not exist.

mod bucket;
mod buckets;
mod diff;
mod find;
pub mod html;
mod page;
mod versions;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::headers::Reject;
use crate::served::Served;

/// The page's routes (everything outside `/ipfs/`, `/bucket/`, `/snapshot/`, `/routing/`).
pub fn router() -> Router<Arc<Served>> {
    Router::new()
        .route("/", get(buckets::show))
        .route("/ui/bucket/{name}", get(bucket::show))
        .route("/ui/bucket/{name}/versions", get(versions::show))
        .route("/ui/bucket/{name}/diff", get(diff::show))
        .route("/ui/find", get(find::show))
}

/// 404 for a bucket this server does not serve, the same answer as for one that is not there.
fn require_served(served: &Served, name: &str) -> Result<(), Reject> {
    if served.serves_bucket(name) {
        Ok(())
    } else {
        Err(Reject::not_found(format!("no bucket {name:?} is served here")))
    }
}

/// The value of query parameter `key` ("" when absent).
fn param(query: Option<&str>, key: &str) -> String {
    crate::negotiate::query_pairs(query.unwrap_or_default())
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// `/ui/bucket/{name}/…`: the link to one of a bucket's pages.
fn bucket_href(name: &str, page: &str) -> String {
    format!("/ui/bucket/{}{page}", html::href_segment(name))
}
