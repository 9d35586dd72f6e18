//! The HTML listing of a UnixFS directory that has no `index.html` (path gateway).

use cid::Cid;
use ipfs_kit_unixfs::reader::ListEntry;

use crate::web::html::{escape, href_segment, human_size};

/// Listings longer than this show the first entries and say how many are left out.
const MAX_ROWS: usize = 10_000;

/// The bump in this tag changes every cached listing's Etag when the page's markup changes.
pub const LISTING_VERSION: &str = "1";

/// `path` is the URL path of the directory, ending in `/`; `has_parent` is false at the root
/// of the content path (where `..` would leave it).
pub fn render(path: &str, has_parent: bool, dir: &Cid, entries: &[ListEntry]) -> String {
    let mut rows = String::new();
    if has_parent {
        rows.push_str("<tr><td><a href=\"..\">..</a></td><td></td><td></td></tr>\n");
    }
    for entry in entries.iter().take(MAX_ROWS) {
        let name = escape(&entry.name);
        let href = href_segment(&entry.name);
        let size = entry.tsize.map(human_size).unwrap_or_default();
        let cid = entry.cid.to_string();
        rows.push_str(&format!(
            "<tr><td><a href=\"{href}\">{name}</a></td><td class=\"size\">{size}</td>\
             <td><a class=\"cid\" href=\"/ipfs/{cid}\">{cid}</a></td></tr>\n"
        ));
    }
    let more = if entries.len() > MAX_ROWS {
        format!("<p>{} more entries are not shown.</p>", entries.len() - MAX_ROWS)
    } else {
        String::new()
    };
    let title = escape(path);
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font:14px system-ui,sans-serif;margin:2em}}td{{padding:2px 12px 2px 0}}\
         .size{{text-align:right}}.cid{{font-family:monospace;color:#555}}</style></head>\n\
         <body><h1>Index of {title}</h1><p class=\"cid\">{dir}</p>\n<table>\n{rows}</table>{more}</body></html>\n"
    )
}
