//! `ipfs-kit serve`: a home's blocks, buckets and snapshots over HTTP.
//!
//! What it speaks, and where:
//! - the IPFS trustless gateway (`/ipfs/{cid}` as a raw block or a CAR stream, `car_walk`),
//! - the path gateway (UnixFS deserialised: files with `Range`, directory listings,
//!   `index.html`; `unixfs_response`), also under bucket and snapshot names (`routes`),
//! - Delegated Routing V1 (`/routing/v1/providers/{cid}`, `routing`), naming this server as an
//!   HTTP provider, so a client that uses it as a router finds it,
//! - a web page over the catalog (`web`).
//!
//! It only reads: it never takes the writer lock, so adds, snapshots and `gc` go on while it
//! serves. Each worker thread opens the home once (`served`) and reads the catalog and the
//! block store through its own SQLite connections. Blocks are served as stored, without
//! hashing them again: they were checked when they entered the store, the clients of a
//! trustless gateway verify what they get, and `check --read-data` finds rot (Kubo's gateway
//! makes the same choice with `HashOnRead` off).
//!
//! Layering: above `ipfs-kit-buckets`, beside `ipfs-kit-remotes`, which it does not know:
//! where a version lives is given to it by the CLI through [`Places`].

mod body;
mod car_walk;
mod conditional;
pub mod config;
mod content;
pub mod error;
mod file_range;
mod headers;
mod listing;
mod negotiate;
mod reach;
mod resolve;
mod routes;
mod routing;
mod served;
mod server;
mod sniff;
mod trustless;
mod unixfs_response;
mod web;

pub use config::{Place, Places, ServeConfig};
pub use error::GatewayError;
pub use server::{Bound, bind, serve};
