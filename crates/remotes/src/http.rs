//! A small synchronous HTTP client over `ureq`: base URL, fixed headers, timeouts, and the
//! mapping of every failure onto a [`Fault`] (transient or permanent).

use std::io::Read;
use std::time::Duration;

use ureq::{Agent, SendBody};

use crate::error::Fault;

/// Bodies of answers are read up to this size (they are JSON; a CAR is never read back here).
const MAX_ANSWER: u64 = 64 << 20;

/// How long to wait, per step of an exchange.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    /// For the answer to a request whose body was sent (the node may still be pinning).
    pub answer: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { connect: Duration::from_secs(10), answer: Duration::from_secs(120) }
    }
}

pub struct Client {
    agent: Agent,
    base: String,
    headers: Vec<(String, String)>,
}

/// A successful answer: status and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Result<serde_json::Value, Fault> {
        serde_json::from_str(&self.body)
            .map_err(|e| Fault::Protocol(format!("not JSON ({e}): {}", snippet(&self.body))))
    }
}

impl Client {
    pub fn new(base: &str, headers: Vec<(String, String)>, timeouts: Timeouts) -> Self {
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(timeouts.connect))
            .timeout_recv_response(Some(timeouts.answer))
            .timeout_recv_body(Some(timeouts.answer))
            // Streams ([`Client::get_stream`]) lift the whole-body budget; a stall still ends them.
            .timeout_per_read(Some(timeouts.answer))
            // A stalled upload is a fault too: no write may wait longer than this.
            .timeout_per_write(Some(timeouts.answer))
            .user_agent(concat!("ipfs-kit/", env!("CARGO_PKG_VERSION")))
            .build();
        Client { agent: config.into(), base: base.trim_end_matches('/').to_owned(), headers }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str) -> Result<Answer, Fault> {
        let mut req = self.agent.get(self.url(path));
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        finish(req.call())
    }

    pub fn delete(&self, path: &str) -> Result<Answer, Fault> {
        let mut req = self.agent.delete(self.url(path));
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        finish(req.call())
    }

    /// POST with a JSON body (or an empty one).
    pub fn post_json(&self, path: &str, body: Option<&serde_json::Value>) -> Result<Answer, Fault> {
        let mut req = self.agent.post(self.url(path));
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        match body {
            Some(body) => finish(req.content_type("application/json").send(body.to_string().as_bytes())),
            None => finish(req.send_empty()),
        }
    }

    /// POST streaming `body`: with a Content-Length when `len` is known, else chunked.
    pub fn post_stream(
        &self,
        path: &str,
        content_type: &str,
        len: Option<u64>,
        body: &mut dyn Read,
    ) -> Result<Answer, Fault> {
        let mut req = self.agent.post(self.url(path));
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        if let Some(len) = len {
            // ureq then sends a sized body (not chunked), and fails if the reader disagrees.
            req = req.header("Content-Length", len);
        }
        finish(req.content_type(content_type).send(SendBody::from_reader(body)))
    }

    /// GET whose answer is read as a stream (a CAR): no budget for the whole body, only the
    /// per-read timeout, so a long download is not cut while a stalled one still ends.
    pub fn get_stream(&self, path: &str, accept: &str) -> Result<Stream, Fault> {
        let mut req = self.agent.get(self.url(path));
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        open_stream(req.header("Accept", accept).config().timeout_recv_body(None).build().call())
    }

    /// POST (empty body) whose answer is read as a stream, as [`Client::get_stream`].
    pub fn post_for_stream(&self, path: &str) -> Result<Stream, Fault> {
        let mut req = self.agent.post(self.url(path));
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        open_stream(req.config().timeout_recv_body(None).build().send_empty())
    }

    /// GET of a body of at most `max` bytes (a block), refused past that without reading on.
    pub fn get_bytes(&self, path: &str, accept: &str, max: u64) -> Result<Vec<u8>, Fault> {
        let mut req = self.agent.get(self.url(path));
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        read_bounded(open_stream(req.header("Accept", accept).call())?, max)
    }

    /// POST (empty body) of an answer of at most `max` bytes, as [`Client::get_bytes`].
    pub fn post_for_bytes(&self, path: &str, max: u64) -> Result<Vec<u8>, Fault> {
        let mut req = self.agent.post(self.url(path));
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        read_bounded(open_stream(req.send_empty())?, max)
    }
}

/// A successful answer whose body is still to be read.
pub struct Stream {
    pub content_type: Option<String>,
    pub body: Box<dyn Read + Send>,
}

fn read_bounded(stream: Stream, max: u64) -> Result<Vec<u8>, Fault> {
    let mut bytes = Vec::new();
    stream.body.take(max + 1).read_to_end(&mut bytes).map_err(|e| Fault::Reset(e.to_string()))?;
    if bytes.len() as u64 > max {
        return Err(Fault::Protocol(format!("the answer is over the {max}-byte limit")));
    }
    Ok(bytes)
}

fn open_stream(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<Stream, Fault> {
    let mut response = result.map_err(|e| fault_of(&e))?;
    let status = response.status().as_u16();
    if !(200..=299).contains(&status) {
        // An error answer is small; read (a bounded part of) it for its message.
        let body = response.body_mut().with_config().limit(1 << 20).read_to_string().unwrap_or_default();
        return Err(classify(status, &body).expect_err("not a success"));
    }
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).map(|v| v.trim().to_ascii_lowercase());
    Ok(Stream { content_type, body: Box::new(response.into_body().into_reader()) })
}

fn finish(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<Answer, Fault> {
    let mut response = result.map_err(|e| fault_of(&e))?;
    let status = response.status().as_u16();
    let body = response.body_mut().with_config().limit(MAX_ANSWER).read_to_string().map_err(|e| fault_of(&e))?;
    classify(status, &body).map(|()| Answer { status, body })
}

/// What an HTTP status means here: success, or a transient or permanent fault.
fn classify(status: u16, body: &str) -> Result<(), Fault> {
    match status {
        200..=299 => Ok(()),
        401 | 403 => Err(Fault::Auth(status, message_of(body))),
        408 | 429 | 500..=599 => Err(Fault::Server(status, message_of(body))),
        _ => Err(Fault::Refused(status, message_of(body))),
    }
}

/// Classes a client error as a fault.
pub fn fault_of(e: &ureq::Error) -> Fault {
    use std::io::ErrorKind as K;
    match e {
        ureq::Error::Io(io) => match io.kind() {
            K::ConnectionRefused | K::NotFound | K::AddrNotAvailable | K::HostUnreachable | K::NetworkUnreachable => {
                Fault::Unreachable(io.to_string())
            }
            K::TimedOut | K::WouldBlock => Fault::Timeout(io.to_string()),
            _ => Fault::Reset(io.to_string()),
        },
        ureq::Error::Timeout(t) => Fault::Timeout(format!("{t:?}")),
        ureq::Error::HostNotFound => Fault::Unreachable("host not found".into()),
        ureq::Error::ConnectionFailed => Fault::Unreachable("connection failed".into()),
        // A connection closed before a whole answer came is a lost connection.
        ureq::Error::Protocol(p) => Fault::Reset(p.to_string()),
        other => Fault::Protocol(other.to_string()),
    }
}

/// The message of an error answer, in either dialect: Kubo's `{"Message": …}` or the Pinning
/// Service API's `{"error": {"reason": …, "details": …}}`; else the start of the body.
pub fn message_of(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        if let Some(m) = v.get("Message").and_then(|m| m.as_str()) {
            return snippet(m);
        }
        if let Some(e) = v.get("error") {
            let reason = e.get("reason").and_then(|r| r.as_str()).unwrap_or("");
            let details = e.get("details").and_then(|r| r.as_str()).unwrap_or("");
            return snippet(
                &[reason, details].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(": "),
            );
        }
    }
    snippet(body)
}

/// One line of at most 200 characters.
pub fn snippet(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 200 { format!("{}…", line.chars().take(200).collect::<String>()) } else { line }
}
