//! `/`: the served buckets, each with its root, totals and version, linking to its pages.

use std::sync::Arc;

use axum::extract::State;
use ipfs_kit_buckets::BucketSummary;

use crate::served::Served;
use crate::web::bucket_href;
use crate::web::html::{escape, human_size};
use crate::web::page::{ErrorPage, Page, cid, count, plural};

pub async fn show(State(served): State<Arc<Served>>) -> Result<Page, ErrorPage> {
    let buckets = served
        .read(|served, home| {
            Ok(home.list()?.into_iter().filter(|b| served.serves_bucket(&b.row.name)).collect::<Vec<_>>())
        })
        .await?;
    Ok(Page::new("Buckets", render(&buckets)))
}

fn render(buckets: &[BucketSummary]) -> String {
    if buckets.is_empty() {
        return "<p class=\"message\">No buckets are served. Make one with \
                <code>ipfs-kit bucket create NAME</code> and <code>ipfs-kit bucket add NAME PATH</code>.</p>"
            .into();
    }
    let mut rows = String::new();
    for b in buckets {
        let name = &b.row.name;
        rows.push_str(&format!(
            "<tr><td><a href=\"{files}\">{text}</a></td><td>{root}</td><td class=\"num\">{n}</td>\
             <td class=\"num\">{size}</td><td class=\"num\"><a href=\"{versions}\">v{version}</a></td></tr>\n",
            files = bucket_href(name, ""),
            text = escape(name),
            root = cid(&b.row.root.to_string()),
            n = count(b.files),
            size = human_size(b.bytes),
            versions = bucket_href(name, "/versions"),
            version = b.row.version,
        ));
    }
    format!(
        "<p class=\"muted\">{} served. Each bucket's working state is also at <code>/bucket/NAME/</code>.</p>\n\
         <table><thead><tr><th>Bucket</th><th>Root CID</th><th class=\"num\">Files</th>\
         <th class=\"num\">Size</th><th class=\"num\">Version</th></tr></thead>\n<tbody>\n{rows}</tbody></table>",
        plural(buckets.len(), "bucket")
    )
}

#[cfg(test)]
mod tests {
    use ipfs_kit_buckets::BucketRow;
    use ipfs_kit_unixfs::block::sha256_cid;

    use super::*;

    fn summary(name: &str) -> BucketSummary {
        let row = BucketRow {
            name: name.into(),
            profile: "unixfs-v1-2025".into(),
            root: sha256_cid(1, 0x70, b"dir"),
            root_tsize: 4,
            version: 7,
            change_seq: 1,
            indexed_seq: 1,
            created_at: String::new(),
            updated_at: String::new(),
        };
        BucketSummary { row, files: 1234, bytes: 2048 }
    }

    #[test]
    fn rows_link_each_bucket_and_escape_its_name() {
        let html = render(&[summary("a&b")]);
        assert!(html.contains("<a href=\"/ui/bucket/a%26b\">a&amp;b</a>"), "{html}");
        assert!(html.contains("<a href=\"/ui/bucket/a%26b/versions\">v7</a>"));
        assert!(html.contains(&format!("/ipfs/{}", sha256_cid(1, 0x70, b"dir"))));
        assert!(html.contains(">1,234<") && html.contains(">2.0 KiB<"));
        assert!(html.contains("1 bucket served"));
    }

    #[test]
    fn no_buckets_says_how_to_make_one() {
        assert!(render(&[]).contains("ipfs-kit bucket create"));
    }
}
