//! Answers that are not content: one request's errors (`Reject`), and the headers every
//! `/ipfs/` answer carries.

use std::fmt::Display;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cid::Cid;
use ipfs_kit_buckets::BucketError;
use ipfs_kit_unixfs::ReadError;

/// The immutable-content cache policy the path gateway spec asks for under `/ipfs/`.
pub const IMMUTABLE: &str = "public, max-age=29030400, immutable";
/// For names that move (a bucket's working state): always revalidate, by Etag.
pub const MUTABLE: &str = "no-cache";

/// A request that ends in an HTTP error: the status and one line saying why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub status: StatusCode,
    pub message: String,
}

impl Reject {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Reject { status, message: message.into() }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
    pub fn not_acceptable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_ACCEPTABLE, message)
    }
    /// A fault of this server or its store, not of the request.
    pub fn internal(err: impl Display) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, err.to_string())
    }
}

impl From<ReadError> for Reject {
    /// A path that cannot be followed (a missing or unexpected node, a name not there) is 404,
    /// as the path gateway spec says; a store that cannot be read is 500.
    fn from(err: ReadError) -> Self {
        match err {
            ReadError::MissingBlock { .. }
            | ReadError::NotFound { .. }
            | ReadError::UnexpectedNode { .. }
            | ReadError::UnsupportedCodec { .. } => Reject::not_found(err.to_string()),
            _ => Reject::internal(err),
        }
    }
}

impl From<BucketError> for Reject {
    fn from(err: BucketError) -> Self {
        match err {
            BucketError::NoSuchBucket(_)
            | BucketError::NoSuchPath { .. }
            | BucketError::NoSuchSnapshot(_)
            | BucketError::NotInSnapshot { .. } => Reject::not_found(err.to_string()),
            BucketError::BadName { .. } | BucketError::BadPath { .. } => Reject::bad_request(err.to_string()),
            BucketError::Read(read) => read.into(),
            _ => Reject::internal(err),
        }
    }
}

impl IntoResponse for Reject {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(format!("{}\n", self.message)));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        response
    }
}

/// A header value from text we made (CIDs, paths we percent-encoded); never fails on them.
pub fn value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// The headers of every content answer under a content path.
pub struct ContentHeaders<'a> {
    /// The request path, as `X-Ipfs-Path` reports it (already percent-encoded).
    pub path: &'a str,
    /// One CID per path segment (`X-Ipfs-Roots`).
    pub roots: &'a [Cid],
    pub cache: &'static str,
}

impl ContentHeaders<'_> {
    pub fn apply(&self, headers: &mut HeaderMap) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(self.cache));
        headers.insert("x-ipfs-path", value(self.path));
        let roots: Vec<String> = self.roots.iter().map(Cid::to_string).collect();
        headers.insert("x-ipfs-roots", value(&roots.join(",")));
        headers.insert(header::VARY, HeaderValue::from_static("Accept"));
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    }
}

/// CORS for every answer: the gateway only reads, so any page may fetch from it (as from
/// Kubo's gateway), and see the headers a verifying client needs.
pub fn cors(headers: &mut HeaderMap) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, HEAD, OPTIONS"));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Content-Type, Range, User-Agent, X-Requested-With"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(
            "Content-Length, Content-Range, Content-Type, Etag, X-Ipfs-Path, X-Ipfs-Roots, X-Content-Type-Options",
        ),
    );
}
