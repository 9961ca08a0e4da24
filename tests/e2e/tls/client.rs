//! Clients of a TLS server: a rustls client (its ALPN chosen by the test) under hyper's
//! HTTP/1.1 or HTTP/2 connection, and curl.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt as _, Empty};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::certs::Authority;

/// ALPN's names of HTTP/2 and HTTP/1.1.
pub(crate) const H2: &[u8] = b"h2";
pub(crate) const HTTP11: &[u8] = b"http/1.1";

/// A hang guard: every wait in these tests is on an event, bounded by this.
pub(crate) const GUARD: Duration = Duration::from_secs(20);

/// A rustls client trusting one CA, offering `alpn`.
pub(crate) fn connector(ca: CertificateDer<'static>, alpn: &[&[u8]]) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|name| name.to_vec()).collect();
    TlsConnector::from(Arc::new(config))
}

/// Connects to `addr` and completes the handshake for `localhost`.
pub(crate) async fn handshake(connector: &TlsConnector, addr: SocketAddr) -> TlsStream<TcpStream> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    tokio::time::timeout(GUARD, connector.connect(name, tcp))
        .await
        .expect("handshake within the guard")
        .expect("the handshake succeeds")
}

/// Connects to `addr` trusting `ca`, offering `alpn`.
pub(crate) async fn connect(
    ca: &Authority,
    addr: SocketAddr,
    alpn: &[&[u8]],
) -> TlsStream<TcpStream> {
    handshake(&connector(ca.ca_der(), alpn), addr).await
}

/// The certificate the server presented on `stream`.
pub(crate) fn peer_cert(stream: &TlsStream<TcpStream>) -> CertificateDer<'static> {
    stream.get_ref().1.peer_certificates().unwrap()[0].clone()
}

/// The protocol ALPN agreed on `stream`.
pub(crate) fn alpn(stream: &TlsStream<TcpStream>) -> Option<Vec<u8>> {
    stream.get_ref().1.alpn_protocol().map(<[u8]>::to_vec)
}

/// An HTTP connection over TLS, kept open between requests.
pub(crate) enum Connection {
    Http1(http1::SendRequest<Empty<Bytes>>),
    Http2(http2::SendRequest<Empty<Bytes>>),
}

/// A response read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) version: http::Version,
    pub(crate) body: String,
}

impl Connection {
    /// HTTP/1.1 over `stream`.
    pub(crate) async fn http1(stream: TlsStream<TcpStream>) -> Self {
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(connection);
        Self::Http1(sender)
    }

    /// HTTP/2 over `stream`.
    pub(crate) async fn http2(stream: TlsStream<TcpStream>) -> Self {
        let (sender, connection) = http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        Self::Http2(sender)
    }

    /// `GET path` on this connection.
    pub(crate) async fn get(&mut self, path: &str) -> Reply {
        let request = Request::get(format!("https://localhost{path}"))
            .header("host", "localhost")
            .body(Empty::new())
            .unwrap();
        let sent = async {
            match self {
                Self::Http1(sender) => sender.send_request(request).await,
                Self::Http2(sender) => sender.send_request(request).await,
            }
        };
        let response = tokio::time::timeout(GUARD, sent)
            .await
            .expect("a response within the guard")
            .expect("the request succeeds");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        Reply {
            status: parts.status,
            version: parts.version,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }
}

/// `curl --cacert ca https://localhost:PORT/path` with `version` (`--http2`, `--http1.1`):
/// the HTTP version curl reports (`2`, `1.1`) and the body.
pub(crate) async fn curl(
    ca: &Path,
    addr: SocketAddr,
    path: &str,
    version: &str,
) -> (String, String) {
    let port = addr.port();
    let mut command = Command::new("curl");
    command.args([
        "--silent",
        "--show-error",
        "--max-time",
        "20",
        version,
        "--resolve",
        &format!("localhost:{port}:{}", addr.ip()),
        "--write-out",
        "\n%{http_version}",
    ]);
    command
        .arg("--cacert")
        .arg(ca)
        .arg(format!("https://localhost:{port}{path}"));
    let output = tokio::task::spawn_blocking(move || command.output().expect("run curl"))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "curl failed: {}{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (body, version) = stdout.rsplit_once('\n').unwrap();
    (version.to_owned(), body.to_owned())
}
