//! Delegated Routing V1 (`GET /routing/v1/providers/{cid}`): this server is the provider of
//! what it serves, reachable over HTTP as a trustless gateway. A client given this server as a
//! router (`@helia/verified-fetch`'s `routers`) learns to fetch from it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::headers::{Reject, cors};
use crate::resolve::parse_root;
use crate::served::Served;

/// How long a client may cache the answer (the spec suggests minutes for found records).
const FOUND_MAX_AGE: &str = "public, max-age=300";

pub async fn providers(State(served): State<Arc<Served>>, Path(cid): Path<String>, headers: HeaderMap) -> Response {
    let result = async {
        let cid = parse_root(&cid)?;
        let held = served
            .read(move |served, home| {
                let here = cid.hash().code() == 0 || home.store().has(&cid).map_err(Reject::internal)?;
                Ok(here && served.serves_block(home, &cid)?)
            })
            .await?;
        if !held {
            return Err(Reject::not_found(format!("no provider for {cid}")));
        }
        let record = serde_json::json!({
            "Schema": "peer",
            "ID": served.peer_id,
            "Addrs": [multiaddr(&served.addr)],
            "Protocols": ["transport-ipfs-gateway-http"],
        });
        let ndjson = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/x-ndjson"));
        let (body, content_type) = if ndjson {
            (format!("{record}\n"), "application/x-ndjson")
        } else {
            (serde_json::json!({ "Providers": [record] }).to_string(), "application/json")
        };
        let mut response = body.into_response();
        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(FOUND_MAX_AGE));
        h.insert(header::VARY, HeaderValue::from_static("Accept"));
        cors(h);
        Ok(response)
    }
    .await;
    result.unwrap_or_else(|reject: Reject| {
        let mut response = reject.into_response();
        if response.status() == StatusCode::NOT_FOUND {
            cors(response.headers_mut());
        }
        response
    })
}

/// `/ip4/127.0.0.1/tcp/8080/http`.
fn multiaddr(addr: &std::net::SocketAddr) -> String {
    match addr {
        std::net::SocketAddr::V4(a) => format!("/ip4/{}/tcp/{}/http", a.ip(), a.port()),
        std::net::SocketAddr::V6(a) => format!("/ip6/{}/tcp/{}/http", a.ip(), a.port()),
    }
}

/// A libp2p peer ID for an Ed25519 key: the identity multihash of the key's protobuf, in
/// base58btc (`12D3KooW…`). The key is made per run from the OS's randomness; nothing signs
/// with it, clients only group providers by it.
pub fn new_peer_id() -> String {
    let mut seed = [0u8; 32];
    if let Ok(mut random) = std::fs::File::open("/dev/urandom") {
        let _ = std::io::Read::read_exact(&mut random, &mut seed);
    }
    let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes();
    // PublicKey { Type: Ed25519 (1), Data: 32 bytes } as protobuf, under an identity multihash.
    let mut bytes = vec![0x00, 0x24, 0x08, 0x01, 0x12, 0x20];
    bytes.extend_from_slice(&public);
    multibase::Base::Base58Btc.encode(bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn peer_ids_look_like_libp2p_ed25519_ids() {
        let id = super::new_peer_id();
        assert!(id.starts_with("12D3KooW"), "{id}");
        assert_ne!(id, super::new_peer_id());
    }
}
