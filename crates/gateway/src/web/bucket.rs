//! `/ui/bucket/{name}`: a bucket's files, a page at a time.
//!
//! A bucket may hold a million files, so the page shows at most `PAGE` of them, filtered by
//! `?prefix=`, and links the next page by the last path shown (`?after=`): the catalog seeks
//! to it on its primary key, so page 100 costs what page 1 does, and a file added meanwhile
//! neither shifts nor repeats rows as an offset would.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::Uri;
use ipfs_kit_buckets::{BucketSummary, EntryRow};
use ipfs_kit_unixfs::import::EntryKind;

use crate::served::Served;
use crate::web::html::{escape, href_path, href_segment, human_size};
use crate::web::page::{ErrorPage, Page, cid, count, plural};
use crate::web::{bucket_href, param, require_served};

/// The most files on one page (and the most `?limit=` may ask for).
const PAGE: u64 = 1000;

/// What one page of the listing asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Window {
    prefix: String,
    /// The last path of the previous page; "" for the first page.
    after: String,
    limit: u64,
}

impl Window {
    fn from_query(query: Option<&str>) -> Window {
        let limit = param(query, "limit").parse().map_or(PAGE, |n: u64| n.clamp(1, PAGE));
        Window { prefix: param(query, "prefix"), after: param(query, "after"), limit }
    }

    /// The link to this window of bucket `name`'s listing.
    fn href(&self, name: &str) -> String {
        let mut query = Vec::new();
        for (key, value) in [("prefix", &self.prefix), ("after", &self.after)] {
            if !value.is_empty() {
                query.push(format!("{key}={}", href_segment(value)));
            }
        }
        if self.limit != PAGE {
            query.push(format!("limit={}", self.limit));
        }
        let base = bucket_href(name, "");
        if query.is_empty() { base } else { format!("{base}?{}", query.join("&")) }
    }
}

/// One page of files; `more` when rows follow the last one.
struct Listing {
    bucket: BucketSummary,
    rows: Vec<EntryRow>,
    more: bool,
}

pub async fn show(State(served): State<Arc<Served>>, Path(name): Path<String>, uri: Uri) -> Result<Page, ErrorPage> {
    require_served(&served, &name)?;
    let window = Window::from_query(uri.query());
    let (lookup, w) = (name.clone(), window.clone());
    let listing = served
        .read(move |_, home| {
            let bucket = home.info(&lookup)?;
            // One row more than shown tells whether a next page exists.
            let mut rows = home.files_after(&lookup, &w.prefix, &w.after, w.limit + 1)?;
            let more = rows.len() as u64 > w.limit;
            rows.truncate(w.limit as usize);
            Ok(Listing { bucket, rows, more })
        })
        .await?;
    Ok(Page::new(name.clone(), render(&name, &window, &listing)).trail(bucket_href(&name, ""), name))
}

fn render(name: &str, window: &Window, listing: &Listing) -> String {
    let b = &listing.bucket;
    let mut out = format!(
        "<div class=\"facts\"><span>Root {root}</span><span><b>{files}</b> files</span><span><b>{size}</b></span>\
         <span>version <b>{version}</b></span><span class=\"muted\">{profile}</span></div>\n\
         <p><a href=\"{versions}\">Versions and diffs</a> · <a href=\"/bucket/{seg}/\">Browse as a directory</a></p>\n",
        root = cid(&b.row.root.to_string()),
        files = count(b.files),
        size = human_size(b.bytes),
        version = b.row.version,
        profile = escape(&b.row.profile),
        versions = bucket_href(name, "/versions"),
        seg = href_segment(name),
    );
    out.push_str(&filter_form(name, window));
    out.push_str(&summary_line(window, listing));
    if !listing.rows.is_empty() {
        out.push_str("<table><thead><tr><th>Path</th><th class=\"num\">Size</th><th>CID</th></tr></thead>\n<tbody>\n");
        for row in &listing.rows {
            out.push_str(&file_row(name, row));
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str(&pager(name, window, listing));
    out
}

fn filter_form(name: &str, window: &Window) -> String {
    let clear = if window.prefix.is_empty() {
        String::new()
    } else {
        format!("<a href=\"{}\">all files</a>", escape(&bucket_href(name, "")))
    };
    format!(
        "<form class=\"inline\" method=\"get\" action=\"{}\"><label for=\"prefix\">Path starts with</label>\
         <input id=\"prefix\" name=\"prefix\" value=\"{}\" placeholder=\"photos/2024/\">\
         <button type=\"submit\">Filter</button>{clear}</form>\n",
        escape(&bucket_href(name, "")),
        escape(&window.prefix),
    )
}

/// "Files 1–1,000 of 100,000" when the position is known (no filter, first page), else what
/// the rows are.
fn summary_line(window: &Window, listing: &Listing) -> String {
    let shown = listing.rows.len() as u64;
    let text = if shown == 0 {
        if window.prefix.is_empty() && window.after.is_empty() {
            "This bucket has no files.".to_owned()
        } else {
            "No files match.".to_owned()
        }
    } else if window.prefix.is_empty() && window.after.is_empty() {
        format!("Files 1–{} of {}", count(shown), count(listing.bucket.files))
    } else {
        let mut text = plural(shown as usize, "file");
        if !window.prefix.is_empty() {
            text.push_str(&format!(" under <code>{}</code>", escape(&window.prefix)));
        }
        if !window.after.is_empty() {
            text.push_str(&format!(" after <code>{}</code>", escape(&window.after)));
        }
        text
    };
    format!("<p class=\"muted\">{text}</p>\n")
}

fn file_row(name: &str, row: &EntryRow) -> String {
    let size = match row.kind {
        EntryKind::Symlink => "symlink".to_owned(),
        _ => human_size(row.size),
    };
    format!(
        "<tr><td class=\"path\"><a href=\"/bucket/{}/{}\">{}</a></td><td class=\"num\">{size}</td><td>{}</td></tr>\n",
        href_segment(name),
        href_path(&row.path),
        escape(&row.path),
        cid(&row.cid.to_string()),
    )
}

fn pager(name: &str, window: &Window, listing: &Listing) -> String {
    let mut links = Vec::new();
    if !window.after.is_empty() {
        let first = Window { after: String::new(), ..window.clone() };
        links.push(format!("<a href=\"{}\">« First page</a>", escape(&first.href(name))));
    }
    if let (true, Some(last)) = (listing.more, listing.rows.last()) {
        let next = Window { after: last.path.clone(), ..window.clone() };
        links.push(format!("<a rel=\"next\" href=\"{}\">Next {} »</a>", escape(&next.href(name)), count(window.limit)));
    }
    if links.is_empty() { String::new() } else { format!("<div class=\"pager\">{}</div>\n", links.join("")) }
}

#[cfg(test)]
mod tests {
    use ipfs_kit_buckets::BucketRow;
    use ipfs_kit_unixfs::block::sha256_cid;

    use super::*;

    fn entry(path: &str) -> EntryRow {
        EntryRow {
            path: path.into(),
            kind: EntryKind::File,
            cid: sha256_cid(1, 0x55, path.as_bytes()),
            size: 1536,
            tsize: 1536,
            mtime: 0,
            mode: 0o644,
            content_hash: None,
            added_at: String::new(),
            version: 1,
            access_count: 0,
            last_accessed: None,
            object: None,
        }
    }

    fn listing(paths: &[&str], more: bool) -> Listing {
        let row = BucketRow {
            name: "b".into(),
            profile: "unixfs-v1-2025".into(),
            root: sha256_cid(1, 0x70, b"root"),
            root_tsize: 0,
            version: 3,
            change_seq: 0,
            indexed_seq: 0,
            created_at: String::new(),
            updated_at: String::new(),
        };
        Listing {
            bucket: BucketSummary { row, files: 100_000, bytes: 1 << 30 },
            rows: paths.iter().map(|p| entry(p)).collect(),
            more,
        }
    }

    #[test]
    fn windows_come_from_the_query_and_go_back_into_links() {
        let w = Window::from_query(Some("prefix=a%20b%2F&after=a%20b%2Fz%26y&limit=5000"));
        assert_eq!(w, Window { prefix: "a b/".into(), after: "a b/z&y".into(), limit: PAGE });
        assert_eq!(w.href("my b"), "/ui/bucket/my%20b?prefix=a%20b%2F&after=a%20b%2Fz%26y");
        assert_eq!(Window::from_query(Some("limit=0")).limit, 1);
        assert_eq!(Window::from_query(Some("limit=x")).limit, PAGE);
        assert_eq!(Window::from_query(None).href("b"), "/ui/bucket/b");
    }

    #[test]
    fn a_full_page_links_the_next_one_after_its_last_path() {
        let window = Window { prefix: "d/".into(), after: String::new(), limit: 2 };
        let html = render("b", &window, &listing(&["d/1", "d/2"], true));
        assert!(html.contains("href=\"/ui/bucket/b?prefix=d%2F&amp;after=d%2F2&amp;limit=2\">Next 2 »"), "{html}");
        assert!(!html.contains("First page"));
        let last = render("b", &Window { after: "d/2".into(), ..window }, &listing(&["d/3"], false));
        assert!(!last.contains("Next"));
        assert!(last.contains("href=\"/ui/bucket/b?prefix=d%2F&amp;limit=2\">« First page"), "{last}");
    }

    #[test]
    fn the_first_page_says_where_it_is_in_the_whole_bucket() {
        let html = render("b", &Window::from_query(None), &listing(&["a", "b"], true));
        assert!(html.contains("Files 1–2 of 100,000"), "{html}");
        let none = render("b", &Window { prefix: "zz".into(), ..Window::from_query(None) }, &listing(&[], false));
        assert!(none.contains("No files match.") && !none.contains("<table>"));
    }

    #[test]
    fn hostile_paths_render_as_text_and_link_through_the_path_gateway() {
        let html = render("b", &Window::from_query(None), &listing(&["x/<script>alert(1)<!--.txt"], false));
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains(">x/&lt;script&gt;alert(1)&lt;!--.txt</a>"));
        assert!(html.contains("href=\"/bucket/b/x/%3Cscript%3Ealert(1)%3C!--.txt\""), "{html}");
        assert!(html.contains(&format!("href=\"/ipfs/{}\"", sha256_cid(1, 0x55, b"x/<script>alert(1)<!--.txt"))));
    }
}
