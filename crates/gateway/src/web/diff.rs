//! `/ui/bucket/{name}/diff?from=A&to=B`: the paths added, removed and modified between two
//! versions. `from` defaults to the latest snapshot and an empty `to` is the working state, as
//! for `ipfs-kit bucket diff`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::Uri;
use ipfs_kit_buckets::snapshot::{DiffReport, DiffSide};
use ipfs_kit_unixfs::diff::{Change, DiffEntry};

use crate::served::Served;
use crate::web::html::escape;
use crate::web::page::{ErrorPage, Page, cid, count};
use crate::web::{bucket_href, param, require_served};

/// The most changed paths one page lists (a diff of two unrelated trees may name every file).
const MAX_ROWS: usize = 5000;

pub async fn show(State(served): State<Arc<Served>>, Path(name): Path<String>, uri: Uri) -> Result<Page, ErrorPage> {
    require_served(&served, &name)?;
    let (from, to) = (param(uri.query(), "from"), param(uri.query(), "to"));
    let lookup = name.clone();
    let report = served
        .read(move |_, home| {
            let side = |s: &str| (!s.is_empty()).then(|| s.to_owned());
            Ok(home.diff(&lookup, side(&from).as_deref(), side(&to).as_deref())?)
        })
        .await?;
    Ok(Page::new(format!("{name}: diff"), render(&report))
        .trail(bucket_href(&name, ""), name.clone())
        .trail(bucket_href(&name, "/versions"), "versions")
        .trail(uri.to_string(), "diff"))
}

fn render(report: &DiffReport) -> String {
    let tally = |c: Change| report.entries.iter().filter(|e| e.change == c).count() as u64;
    let mut out = format!(
        "<div class=\"facts\"><span>From {}</span><span>to {}</span></div>\n\
         <p><span class=\"added\">{} added</span> · <span class=\"removed\">{} removed</span> · \
         <span class=\"modified\">{} modified</span></p>\n",
        side(&report.from),
        side(&report.to),
        count(tally(Change::Added)),
        count(tally(Change::Removed)),
        count(tally(Change::Modified)),
    );
    if report.entries.is_empty() {
        out.push_str("<p class=\"message\">No differences.</p>\n");
        return out;
    }
    out.push_str(
        "<table><thead><tr><th>Change</th><th>Path</th><th>Kind</th><th>CID</th></tr></thead>\n\
         <tbody>\n",
    );
    for entry in report.entries.iter().take(MAX_ROWS) {
        out.push_str(&row(entry));
    }
    out.push_str("</tbody></table>\n");
    if report.entries.len() > MAX_ROWS {
        out.push_str(&format!(
            "<p class=\"muted\">{} more changes are not shown; <code>ipfs-kit bucket diff</code> lists them all.</p>\n",
            count((report.entries.len() - MAX_ROWS) as u64)
        ));
    }
    out
}

/// A side's label and root ("no bucket" when the bucket did not exist there).
fn side(side: &DiffSide) -> String {
    let root = side.root.map_or_else(|| "<span class=\"muted\">(no bucket)</span>".to_owned(), |r| cid(&r.to_string()));
    format!("<b>{}</b> {root}", escape(&side.label))
}

/// One changed path; a modified one shows both CIDs, the old above the new.
fn row(entry: &DiffEntry) -> String {
    let cids = match (entry.old, entry.new) {
        (Some(old), Some(new)) => format!(
            "<span class=\"muted tag\">was</span> {}<br><span class=\"muted tag\">now</span> {}",
            cid(&old.to_string()),
            cid(&new.to_string())
        ),
        (old, new) => old.or(new).map(|c| cid(&c.to_string())).unwrap_or_default(),
    };
    let change = entry.change.as_str();
    format!(
        "<tr><td class=\"{change}\">{change}</td><td class=\"path\">{}</td><td>{}</td><td>{cids}</td></tr>\n",
        escape(&entry.path),
        entry.kind.as_str(),
    )
}

#[cfg(test)]
mod tests {
    use ipfs_kit_unixfs::block::sha256_cid;
    use ipfs_kit_unixfs::import::EntryKind;

    use super::*;

    fn entry(path: &str, change: Change) -> DiffEntry {
        let cid = Some(sha256_cid(1, 0x55, path.as_bytes()));
        let (old, new) = match change {
            Change::Added => (None, cid),
            Change::Removed => (cid, None),
            Change::Modified => (cid, Some(sha256_cid(1, 0x55, b"new"))),
        };
        DiffEntry { path: path.into(), change, kind: EntryKind::File, old, new }
    }

    fn report(entries: Vec<DiffEntry>) -> DiffReport {
        let from = DiffSide { label: "snapshot_1".into(), root: None };
        let to = DiffSide { label: "working".into(), root: Some(sha256_cid(1, 0x70, b"dir")) };
        DiffReport { from, to, entries }
    }

    #[test]
    fn changes_are_counted_and_paths_escaped() {
        let html = render(&report(vec![entry("<b>", Change::Added), entry("x", Change::Modified)]));
        assert!(html.contains("1 added</span> · <span class=\"removed\">0 removed"), "{html}");
        assert!(html.contains("<td class=\"path\">&lt;b&gt;</td>"));
        assert!(html.contains("From <b>snapshot_1</b> <span class=\"muted\">(no bucket)</span></span>"), "{html}");
        let (old, new) = (sha256_cid(1, 0x55, b"x"), sha256_cid(1, 0x55, b"new"));
        assert!(
            html.contains(&format!(
                "<span class=\"muted tag\">was</span> <span class=\"cid\"><a href=\"/ipfs/{old}\">"
            ))
        );
        assert!(
            html.contains(&format!(
                "<span class=\"muted tag\">now</span> <span class=\"cid\"><a href=\"/ipfs/{new}\">"
            ))
        );
    }

    #[test]
    fn equal_versions_say_so_and_long_diffs_are_capped() {
        assert!(render(&report(Vec::new())).contains("No differences."));
        let many = (0..MAX_ROWS + 3).map(|i| entry(&format!("f{i}"), Change::Removed)).collect();
        let html = render(&report(many));
        assert_eq!(html.matches("<tr><td class=\"removed\">").count(), MAX_ROWS);
        assert!(html.contains("3 more changes are not shown"));
    }
}
