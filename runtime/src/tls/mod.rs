//! TLS for the server: rustls over tokio, HTTP/2 and HTTP/1.1 chosen by ALPN on one port.
//!
//! `config` holds the public [`TlsConfig`]; `pem` turns PEM text and files into a checked
//! certificate and key; `resolver` hands handshakes the current certificate, swapped by a
//! reload; `acceptor` runs one connection's handshake under the timeout; `reload` rereads
//! the files on `SIGHUP`. The server (`server.rs`) calls in here only for a connection of an
//! app with TLS, so plain-TCP connections pay nothing for it.

mod acceptor;
mod config;
mod error;
mod pem;
mod reload;
mod resolver;

pub(crate) use acceptor::{Acceptor, Alpn};
pub use config::{DEFAULT_HANDSHAKE_TIMEOUT, TlsConfig};
pub use error::TlsError;
pub(crate) use reload::ReloadOnHangup;

/// ALPN's name for HTTP/2 over TLS (RFC 9113).
const ALPN_H2: &[u8] = b"h2";
/// ALPN's name for HTTP/1.1 (RFC 7301).
const ALPN_HTTP11: &[u8] = b"http/1.1";

#[cfg(test)]
mod tests;
