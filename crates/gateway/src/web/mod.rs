//! The web page at `/`: buckets, their files and versions, where each version lives, and a
//! CID search. Plain server-rendered HTML with a little CSS; no build step.

pub mod html;

use std::sync::Arc;

use axum::Router;

use crate::served::Served;

/// The page's routes (everything outside `/ipfs/`, `/bucket/`, `/snapshot/`, `/routing/`).
pub fn router() -> Router<Arc<Served>> {
    Router::new()
}
