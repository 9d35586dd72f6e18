//! Conditional requests (RFC 9110, section 13): `If-None-Match` answers 304 when the client
//! holds this very answer, `If-Match` answers 412 when it does not match.

use axum::http::{HeaderMap, StatusCode, header};

/// The status a conditional request gets instead of the content, if any.
pub fn precondition(headers: &HeaderMap, etag: &str) -> Option<StatusCode> {
    if let Some(if_match) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok())
        && !any_matches(if_match, etag, true)
    {
        return Some(StatusCode::PRECONDITION_FAILED);
    }
    if let Some(none_match) = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok())
        && any_matches(none_match, etag, false)
    {
        return Some(StatusCode::NOT_MODIFIED);
    }
    None
}

/// Whether a list of entity tags (or `*`) names `etag`. Strong comparison refuses weak tags.
fn any_matches(list: &str, etag: &str, strong: bool) -> bool {
    if list.trim() == "*" {
        return true;
    }
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let ours_weak = etag.starts_with("W/");
    list.split(',').any(|tag| {
        let tag = tag.trim();
        if strong && (ours_weak || tag.starts_with("W/")) {
            return false;
        }
        bare(tag) == bare(etag)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, value.parse().unwrap());
        h
    }

    #[test]
    fn if_none_match_gives_304_and_if_match_412() {
        let etag = "\"bafy.raw\"";
        assert_eq!(
            precondition(&with(header::IF_NONE_MATCH, "\"x\", \"bafy.raw\""), etag),
            Some(StatusCode::NOT_MODIFIED)
        );
        assert_eq!(precondition(&with(header::IF_NONE_MATCH, "W/\"bafy.raw\""), etag), Some(StatusCode::NOT_MODIFIED));
        assert_eq!(precondition(&with(header::IF_NONE_MATCH, "*"), etag), Some(StatusCode::NOT_MODIFIED));
        assert_eq!(precondition(&with(header::IF_NONE_MATCH, "\"other\""), etag), None);
        assert_eq!(precondition(&with(header::IF_MATCH, "\"other\""), etag), Some(StatusCode::PRECONDITION_FAILED));
        assert_eq!(precondition(&with(header::IF_MATCH, "\"bafy.raw\""), etag), None);
        assert_eq!(
            precondition(&with(header::IF_MATCH, "W/\"bafy.raw\""), etag),
            Some(StatusCode::PRECONDITION_FAILED)
        );
        assert_eq!(precondition(&HeaderMap::new(), etag), None);
    }
}
