//! `/ui/bucket/{name}/versions`: a bucket's versions as its snapshots recorded them (and the
//! working state when newer), where each one lives on the remotes, and a form that picks two
//! of them for `/ui/bucket/{name}/diff`.

use std::sync::Arc;

use axum::extract::{Path, State};
use cid::Cid;
use ipfs_kit_buckets::snapshot::LogEntry;

use crate::config::Place;
use crate::served::Served;
use crate::web::html::{escape, href_segment, human_size};
use crate::web::page::{ErrorPage, Page, cid, copyable, count, plural, when};
use crate::web::{bucket_href, require_served};

/// One row: a version, and the remotes that hold its root.
struct Version {
    entry: LogEntry,
    places: Vec<Place>,
}

impl Version {
    /// The root in the same CID form as the rest of the page (the log keeps base58btc).
    fn root(&self) -> String {
        Cid::try_from(self.entry.root.as_str()).map_or_else(|_| self.entry.root.clone(), |c| c.to_string())
    }

    /// How `diff` names this version: its snapshot, or the working state.
    fn spec(&self) -> &str {
        self.entry.snapshot.as_ref().map_or("working", |s| s.snapshot_id.as_str())
    }

    fn label(&self) -> String {
        match &self.entry.snapshot {
            Some(s) => format!("v{} · {}", self.entry.version, s.snapshot_id),
            None => format!("v{} · working state", self.entry.version),
        }
    }
}

pub async fn show(State(served): State<Arc<Served>>, Path(name): Path<String>) -> Result<Page, ErrorPage> {
    require_served(&served, &name)?;
    let lookup = name.clone();
    let versions = served
        .read(move |served, home| {
            let log = home.log(&lookup)?;
            Ok(log
                .into_iter()
                .map(|entry| {
                    let places = match (&served.places, Cid::try_from(entry.root.as_str())) {
                        (Some(places), Ok(root)) => places.places(&root),
                        _ => Vec::new(),
                    };
                    Version { entry, places }
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(Page::new(format!("{name}: versions"), render(&name, &versions))
        .trail(bucket_href(&name, ""), name.clone())
        .trail(bucket_href(&name, "/versions"), "versions"))
}

fn render(name: &str, versions: &[Version]) -> String {
    let mut out = format!("<p class=\"muted\">{}, newest first.</p>\n", plural(versions.len(), "version"));
    out.push_str(&diff_form(name, versions));
    out.push_str(
        "<table><thead><tr><th>Version</th><th>Snapshot, time</th><th>Root CID</th>\
         <th class=\"num\">Files</th><th class=\"num\">Size</th><th>Lives on</th></tr></thead>\n<tbody>\n",
    );
    for version in versions {
        out.push_str(&row(name, version));
    }
    out.push_str("</tbody></table>\n");
    out
}

/// A version's row, then (when a remote can give it back) a row with the commands and URLs.
fn row(name: &str, v: &Version) -> String {
    let e = &v.entry;
    let snapshot = match &e.snapshot {
        Some(s) => {
            let message = s.message.as_deref().map(|m| format!("<br>{}", escape(m)));
            format!(
                "<a href=\"/snapshot/{}/{}/\">{}</a>{}",
                href_segment(&s.snapshot_id),
                href_segment(name),
                escape(&s.snapshot_id),
                message.unwrap_or_default()
            )
        }
        None => format!("<a href=\"/bucket/{}/\">working state</a>", href_segment(name)),
    };
    let back = pull_row(&v.places);
    format!(
        "<tr class=\"version{}\"><td class=\"num\">v{}</td><td>{snapshot}<br><span class=\"muted\">{}</span></td>\
         <td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n{back}",
        if back.is_empty() { "" } else { " has-pull" },
        e.version,
        when(&e.at),
        cid(&v.root()),
        count(e.files),
        human_size(e.bytes),
        places(&v.places),
    )
}

/// The remotes holding a version, and what each last confirmed (and when).
fn places(places: &[Place]) -> String {
    if places.is_empty() {
        return "<span class=\"muted\">only here</span>".into();
    }
    let items: String = places
        .iter()
        .map(|p| {
            format!(
                "<li><b>{}</b> <span class=\"muted\">{}</span> {}<br><span class=\"muted\">{}</span></li>",
                escape(&p.remote),
                escape(&p.kind),
                escape(&p.status),
                when(&p.at)
            )
        })
        .collect();
    format!("<ul class=\"places\">{items}</ul>")
}

/// How to get a version back from the remotes that hold it: a row under the version's, wide
/// enough for a whole `ipfs-kit pull` command; "" when no remote can give it back.
fn pull_row(places: &[Place]) -> String {
    let mut items = Vec::new();
    for p in places {
        if let Some(pull) = &p.pull {
            items.push(copyable(pull));
        }
        if let Some(url) = &p.url {
            items.push(format!("<a href=\"{0}\" rel=\"noreferrer\">{0}</a>", escape(url)));
        }
    }
    if items.is_empty() {
        return String::new();
    }
    format!(
        "<tr class=\"pull\"><td></td><td colspan=\"5\"><span class=\"muted\">Get it back:</span> {}</td></tr>\n",
        items.join(" · ")
    )
}

/// Two selects over the versions, older on the left; the working state is `to=` (empty).
fn diff_form(name: &str, versions: &[Version]) -> String {
    if versions.len() < 2 {
        return "<p class=\"muted\">One version so far: take a snapshot after a change to compare two.</p>\n".into();
    }
    let options = |chosen: usize, working: &str| -> String {
        versions
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let value = if v.entry.snapshot.is_none() { working } else { v.spec() };
                let selected = if i == chosen { " selected" } else { "" };
                format!("<option value=\"{}\"{selected}>{}</option>", escape(value), escape(&v.label()))
            })
            .collect()
    };
    format!(
        "<form class=\"inline\" method=\"get\" action=\"{}\"><label for=\"from\">Compare</label>\
         <select id=\"from\" name=\"from\">{}</select><label for=\"to\">with</label>\
         <select id=\"to\" name=\"to\">{}</select><button type=\"submit\">Show diff</button></form>\n",
        escape(&bucket_href(name, "/diff")),
        options(1, "working"),
        options(0, ""),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn working(version: i64) -> Version {
        let entry = LogEntry {
            snapshot: None,
            version,
            root: "zdj7WbpmspsABtc67bnsnKGE8RySidELkZSoV9FM73RqMYJy3".into(),
            files: 2,
            bytes: 19,
            at: "2026-12-06T10:35:56Z".into(),
        };
        Version { entry, places: Vec::new() }
    }

    #[test]
    fn roots_show_in_base32_and_places_say_how_to_pull() {
        let mut v = working(3);
        assert_eq!(v.root(), "bafybeic7ajld6rbdohqmgpirg4oecbqqm3it5izgjinfgifyis6zjmh3fy");
        v.places.push(Place {
            remote: "<node>".into(),
            kind: "kubo".into(),
            status: "pinned".into(),
            at: "t".into(),
            pull: Some("ipfs-kit pull X --from <node>".into()),
            url: Some("https://w3s.link/ipfs/X?a=1&b=2".into()),
        });
        let html = row("b", &v);
        assert!(html.contains("<tr class=\"version has-pull\">"), "{html}");
        assert!(html.contains("<b>&lt;node&gt;</b>"), "{html}");
        assert!(html.contains("<tr class=\"pull\">"), "{html}");
        assert!(html.contains("data-copy=\"ipfs-kit pull X --from &lt;node&gt;\""));
        assert!(html.contains("href=\"https://w3s.link/ipfs/X?a=1&amp;b=2\""));
        let alone = row("b", &working(3));
        assert!(alone.contains("only here") && !alone.contains("class=\"pull\""), "{alone}");
    }

    #[test]
    fn the_diff_form_compares_the_previous_version_with_the_newest() {
        assert!(diff_form("b", &[working(1)]).contains("One version"));
        let html = diff_form("a b", &[working(2), working(1)]);
        assert!(html.contains("action=\"/ui/bucket/a%20b/diff\""), "{html}");
        // The working state is `from=working` on the left and an empty `to=` on the right.
        assert!(html.contains("<option value=\"working\" selected>v1"), "{html}");
        assert!(html.contains("<option value=\"\" selected>v2"), "{html}");
    }
}
