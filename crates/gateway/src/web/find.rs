//! `/ui/find?cid=…`: which served buckets hold a CID, and at which paths (`find_cid`, which
//! matches by multihash, so any CID version or multibase of the same block finds it).
//!
//! A text that is not a CID is answered 400 with the reason, a CID found nowhere 200 with a
//! plain "not found": the search worked, it only had nothing to show.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use cid::Cid;
use ipfs_kit_buckets::Found;

use crate::served::Served;
use crate::web::html::{escape, href_path, href_segment};
use crate::web::page::{ErrorPage, Page, cid};
use crate::web::{bucket_href, param};

pub async fn show(State(served): State<Arc<Served>>, uri: Uri) -> Result<Page, ErrorPage> {
    let text = param(uri.query(), "cid").trim().to_owned();
    if text.is_empty() {
        let body = "<p class=\"muted\">Paste a CID into the box above to find the buckets and paths that hold it.</p>";
        return Ok(Page::new("Find a CID", body.into()));
    }
    let target = match Cid::try_from(text.as_str()) {
        Ok(target) => target,
        Err(err) => {
            let body = format!(
                "<p class=\"message\"><code>{}</code> is not a CID: {}.</p>",
                escape(&text),
                escape(&err.to_string())
            );
            return Ok(Page { status: StatusCode::BAD_REQUEST, search: text, ..Page::new("Not a CID", body) });
        }
    };
    let found = served
        .read(move |served, home| {
            Ok(home.find_cid(&target)?.into_iter().filter(|f| served.serves_bucket(&f.bucket)).collect::<Vec<_>>())
        })
        .await?;
    Ok(Page { search: text, ..Page::new("Find a CID", render(&target, &found)) })
}

fn render(target: &Cid, found: &[Found]) -> String {
    let mut out = format!("<div class=\"facts\"><span>CID {}</span></div>\n", cid(&target.to_string()));
    if found.is_empty() {
        out.push_str("<p class=\"message\">No served bucket holds this CID.</p>\n");
        return out;
    }
    out.push_str("<table><thead><tr><th>Bucket</th><th>Path</th><th>Kind</th></tr></thead>\n<tbody>\n");
    for f in found {
        // "" is the bucket's root directory.
        let shown = if f.path.is_empty() { "/".to_owned() } else { f.path.clone() };
        out.push_str(&format!(
            "<tr><td><a href=\"{}\">{}</a></td><td class=\"path\"><a href=\"/bucket/{}/{}\">{}</a></td><td>{}</td></tr>\n",
            escape(&bucket_href(&f.bucket, "")),
            escape(&f.bucket),
            href_segment(&f.bucket),
            href_path(&f.path),
            escape(&shown),
            f.kind.as_str(),
        ));
    }
    out.push_str("</tbody></table>\n");
    out
}

#[cfg(test)]
mod tests {
    use ipfs_kit_unixfs::block::sha256_cid;
    use ipfs_kit_unixfs::import::EntryKind;

    use super::*;

    #[test]
    fn each_hit_links_its_bucket_and_its_path() {
        let target = sha256_cid(1, 0x55, b"x");
        let found = [
            Found { bucket: "b".into(), path: "d/<i>.txt".into(), kind: EntryKind::File },
            Found { bucket: "b".into(), path: String::new(), kind: EntryKind::Directory },
        ];
        let html = render(&target, &found);
        assert!(html.contains("<a href=\"/bucket/b/d/%3Ci%3E.txt\">d/&lt;i&gt;.txt</a></td><td>file</td>"), "{html}");
        assert!(html.contains("<a href=\"/bucket/b/\">/</a></td><td>directory</td>"), "{html}");
        assert!(html.contains("<a href=\"/ui/bucket/b\">b</a>"));
    }

    #[test]
    fn nothing_found_says_so() {
        assert!(render(&sha256_cid(1, 0x55, b"x"), &[]).contains("No served bucket holds this CID."));
    }
}
