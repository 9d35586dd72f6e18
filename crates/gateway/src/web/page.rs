//! The frame every web page shares: layout, CSS, the copy-button script, the response headers
//! (with the Content-Security-Policy), and error pages.
//!
//! The CSS and the script are inline, so the page needs no other request and no build step.
//! The policy allows exactly those two by their SHA-256 hashes (CSP level 2), rather than by a
//! nonce or `'unsafe-inline'`: they are constants, so their hashes never change and need no
//! per-response randomness, and nothing else can run. A name that slipped past `escape` still
//! could not execute a script, load a style, or post a form elsewhere. The script therefore
//! uses no inline event handlers (`onclick=`), which the hashes would not allow: it listens
//! for clicks on the document.

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ipfs_kit_unixfs::block::sha256_cid;
use multibase::Base;

use crate::headers::Reject;
use crate::web::html::escape;

const CSS: &str = "\
:root{color-scheme:light dark;--fg:#1d2330;--muted:#667085;--line:#e4e7ec;--bg:#fff;--head:#f6f7f9;--link:#175cd3}\
@media (prefers-color-scheme:dark){:root{--fg:#e6e8ec;--muted:#98a2b3;--line:#344054;--bg:#101828;--head:#1d2939;--link:#84adff}}\
*{box-sizing:border-box}\
body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);background:var(--bg)}\
header{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;padding:10px 24px;border-bottom:1px solid var(--line);background:var(--head)}\
header .home{font-weight:700;font-size:16px;color:var(--fg);text-decoration:none}\
nav{flex:1;color:var(--muted)}nav a{color:inherit}\
main{padding:8px 24px 32px;max-width:1280px}\
h1{font-size:20px;margin:16px 0 8px;word-break:break-all}h2{font-size:16px;margin:24px 0 8px}\
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}\
table{border-collapse:collapse;width:100%;margin:8px 0}\
th,td{text-align:left;padding:5px 10px;border-bottom:1px solid var(--line);vertical-align:top}\
th{font-weight:600;color:var(--muted);background:var(--head)}\
td.num,th.num{text-align:right;white-space:nowrap}\
td.path{word-break:break-all;min-width:16em}\
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}\
.cid{white-space:nowrap}\
button.copy{margin-left:6px;padding:0 6px;font-size:11px;line-height:18px;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--muted);cursor:pointer}\
button.copy:hover{color:var(--fg)}\
.muted{color:var(--muted)}.facts{display:flex;flex-wrap:wrap;gap:4px 24px;margin:4px 0 12px}\
.facts b{font-weight:600}\
form.inline{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0}\
input,select{font:inherit;padding:3px 6px;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg)}\
input[name=cid]{width:30em;max-width:100%}\
form button{font:inherit;padding:3px 10px;border:1px solid var(--line);border-radius:4px;background:var(--head);color:var(--fg);cursor:pointer}\
.pager{display:flex;gap:16px;margin:8px 0}\
.message{padding:10px 14px;border:1px solid var(--line);border-radius:6px;background:var(--head)}\
.added{color:#067647}.removed{color:#b42318}.modified{color:#b54708}\
ul.places{margin:0;padding:0;list-style:none}ul.places time{white-space:nowrap}.tag{display:inline-block;min-width:2.6em}tr.pull td{border-top:0;padding-top:0}\
tr.has-pull td{border-bottom:0}";

/// Copies `data-copy` of a clicked `button.copy`; where the clipboard API is missing or refused,
/// selects the text shown beside the button so that Ctrl-C copies it.
const SCRIPT: &str = "\
document.addEventListener('click',function(e){\
var b=e.target.closest&&e.target.closest('button.copy');if(!b)return;\
var text=b.getAttribute('data-copy');\
function say(t){b.textContent=t;setTimeout(function(){b.textContent='copy'},1500)}\
function select(){var s=b.previousElementSibling,r=document.createRange();r.selectNodeContents(s);\
var sel=window.getSelection();sel.removeAllRanges();sel.addRange(r);\
var ok=false;try{ok=document.execCommand('copy')}catch(_){}say(ok?'copied':'selected')}\
if(navigator.clipboard&&window.isSecureContext){navigator.clipboard.writeText(text).then(function(){say('copied')},select)}\
else{select()}});";

/// The policy: nothing but this page's own style and script, same-origin forms and images.
fn content_security_policy() -> &'static str {
    static POLICY: OnceLock<String> = OnceLock::new();
    POLICY.get_or_init(|| {
        format!(
            "default-src 'none'; style-src '{}'; script-src '{}'; img-src 'self'; form-action 'self'; \
             base-uri 'none'; frame-ancestors 'none'",
            source_hash(CSS),
            source_hash(SCRIPT)
        )
    })
}

/// A CSP hash source: `sha256-` and the base64 of the text's SHA-256.
fn source_hash(text: &str) -> String {
    let digest = sha256_cid(1, 0x55, text.as_bytes()).hash().digest().to_vec();
    format!("sha256-{}", Base::Base64Pad.encode(digest))
}

/// One page: a title, the trail of links above it, and its body (already HTML).
pub struct Page {
    pub title: String,
    /// (href, text) from the home page down; both unescaped.
    pub trail: Vec<(String, String)>,
    pub body: String,
    pub status: StatusCode,
    /// What the search box in the header shows (the CID just searched for).
    pub search: String,
}

impl Page {
    pub fn new(title: impl Into<String>, body: String) -> Self {
        Page { title: title.into(), trail: Vec::new(), body, status: StatusCode::OK, search: String::new() }
    }

    pub fn trail(mut self, href: impl Into<String>, text: impl Into<String>) -> Self {
        self.trail.push((href.into(), text.into()));
        self
    }

    pub fn render(&self) -> String {
        let title = escape(&self.title);
        let trail: String = self
            .trail
            .iter()
            .map(|(href, text)| format!(" / <a href=\"{}\">{}</a>", escape(href), escape(text)))
            .collect();
        format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
             <title>{title} · ipfs-kit</title><style>{CSS}</style></head>\n<body><header>\
             <a class=\"home\" href=\"/\">ipfs-kit</a><nav><a href=\"/\">buckets</a>{trail}</nav>\
             <form class=\"inline\" action=\"/ui/find\" method=\"get\" role=\"search\">\
             <input name=\"cid\" value=\"{search}\" placeholder=\"Find a CID in the buckets\" aria-label=\"CID\">\
             <button type=\"submit\">Find</button></form></header>\n<main><h1>{title}</h1>\n{}\n</main>\
             <script>{SCRIPT}</script></body></html>\n",
            self.body,
            search = escape(&self.search),
        )
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.render()));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        // The catalog changes under the page; a browser must ask again, never show a stale list.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(content_security_policy()).expect("the policy is ASCII"),
        );
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        response
    }
}

/// A failed page request, answered as a page that says why under the usual header (so the
/// way home and the search box are still there), with the status of the failure.
pub struct ErrorPage(pub Reject);

impl From<Reject> for ErrorPage {
    fn from(reject: Reject) -> Self {
        ErrorPage(reject)
    }
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        let Reject { status, message } = self.0;
        let title = match status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::BAD_REQUEST => "Bad request",
            _ => "Server error",
        };
        let body = format!("<p class=\"message\">{}</p>", escape(&message));
        Page { status, ..Page::new(title, body) }.into_response()
    }
}

/// A CID linked to the trustless/path gateway, with its copy button.
pub fn cid(text: &str) -> String {
    let text = escape(text);
    format!(
        "<span class=\"cid\"><a href=\"/ipfs/{text}\"><code>{text}</code></a>\
         <button type=\"button\" class=\"copy\" data-copy=\"{text}\" title=\"Copy\">copy</button></span>"
    )
}

/// Text (a command) shown as code, with a copy button.
pub fn copyable(text: &str) -> String {
    let text = escape(text);
    format!(
        "<span class=\"cid\"><code>{text}</code>\
         <button type=\"button\" class=\"copy\" data-copy=\"{text}\" title=\"Copy\">copy</button></span>"
    )
}

/// A count with thousands separators: `100,000`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 file`, `2 files`, `1,000 files`.
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{} {noun}s", count(n as u64)) }
}

/// An RFC 3339 UTC time as people read it, to the second (`2026-12-06 10:35:56 UTC`), with
/// the exact value in a tooltip; any other text is shown as it is.
pub fn when(at: &str) -> String {
    let exact = escape(at);
    match (at.get(..19), at.ends_with('Z')) {
        (Some(head), true) if at.as_bytes().get(10) == Some(&b'T') => {
            format!("<time datetime=\"{exact}\" title=\"{exact}\">{} UTC</time>", escape(&head.replacen('T', " ", 1)))
        }
        _ => exact,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_exactly_the_inline_style_and_script() {
        let policy = content_security_policy();
        assert!(policy.starts_with("default-src 'none'; style-src 'sha256-"), "{policy}");
        assert!(!policy.contains("unsafe"), "{policy}");
        // The hash of an empty text is the well-known SHA-256 of nothing.
        assert_eq!(source_hash(""), "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
        let page = Page::new("t", String::new()).render();
        assert!(page.contains(&format!("<style>{CSS}</style>")));
        assert!(page.contains(&format!("<script>{SCRIPT}</script>")));
        assert!(!page.contains(" onclick="), "inline handlers are not allowed by the hashes");
    }

    #[test]
    fn titles_trails_and_cids_are_escaped() {
        let page = Page { search: "\"><x".into(), ..Page::new("<script>x</script>", String::new()) }
            .trail("/a?b=1&c=2", "<i>")
            .render();
        assert!(page.contains("name=\"cid\" value=\"&quot;&gt;&lt;x\""));
        assert!(page.contains("<h1>&lt;script&gt;x&lt;/script&gt;</h1>"));
        assert!(page.contains("<a href=\"/a?b=1&amp;c=2\">&lt;i&gt;</a>"));
        assert!(!page.contains("<script>x"));
        assert!(cid("\"><b>").contains("data-copy=\"&quot;&gt;&lt;b&gt;\""));
    }

    #[test]
    fn counts_have_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(100_000), "100,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(plural(1, "file"), "1 file");
        assert_eq!(plural(1000, "file"), "1,000 files");
    }

    #[test]
    fn times_read_to_the_second() {
        let t = "2026-12-06T10:35:56.424169Z";
        assert_eq!(when(t), format!("<time datetime=\"{t}\" title=\"{t}\">2026-12-06 10:35:56 UTC</time>"));
        assert_eq!(when("<soon>"), "&lt;soon&gt;");
    }
}
