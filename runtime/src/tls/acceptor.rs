//! The TLS handshake of one accepted connection, bounded by the handshake timeout, and the
//! HTTP version ALPN chose.

use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

use super::{ALPN_H2, ALPN_HTTP11};

/// Runs the server's TLS handshakes.
#[derive(Debug, Clone)]
pub(crate) struct Acceptor {
    config: Arc<ServerConfig>,
    timeout: Duration,
}

/// The protocol the client and server agreed on by ALPN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alpn {
    /// `h2`.
    Http2,
    /// `http/1.1`.
    Http1,
    /// The client offered no ALPN: its first bytes tell.
    None,
}

impl Acceptor {
    pub(crate) fn new(config: Arc<ServerConfig>, timeout: Duration) -> Self {
        Self { config, timeout }
    }

    /// The handshake on `stream`: the TLS stream and the protocol agreed, or `None` if the
    /// handshake failed or did not complete within the timeout (the stream is then dropped,
    /// closing the connection).
    pub(crate) async fn accept(&self, stream: TcpStream) -> Option<(TlsStream<TcpStream>, Alpn)> {
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::clone(&self.config));
        let stream = match tokio::time::timeout(self.timeout, acceptor.accept(stream)).await {
            Ok(Ok(stream)) => stream,
            // The client's doing (plain HTTP to the TLS port, an untrusted certificate, a
            // scanner): nothing the server can act on, so not worth more than a debug line.
            Ok(Err(error)) => {
                tracing::debug!(%error, "TLS handshake failed");
                return None;
            }
            Err(_) => {
                tracing::debug!(timeout = ?self.timeout, "TLS handshake timed out");
                return None;
            }
        };
        let alpn = match stream.get_ref().1.alpn_protocol() {
            Some(ALPN_H2) => Alpn::Http2,
            Some(ALPN_HTTP11) => Alpn::Http1,
            // The server offers no other, so rustls agrees on no other.
            Some(_) | None => Alpn::None,
        };
        Some((stream, alpn))
    }
}
