//! HTTPS for the servers that have no TLS of their own (raw hyper, axum), set up as oxapi's
//! runtime sets up its own, so that TLS's cost over plain TCP compares like for like: rustls
//! with the `ring` provider, TLS 1.3 and 1.2, ALPN offering `h2` then `http/1.1`, the
//! handshake bounded by 10 s, then the protocol ALPN chose (HTTP/1.1 with upgrades, or HTTP/2;
//! a client that chose none gets hyper-util's auto-detection).

use std::sync::Arc;
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper::server::conn::{http1, http2};
use hyper::service::Service;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
/// What runs the handshakes ([`acceptor`] makes it).
pub use tokio_rustls::TlsAcceptor;

use crate::TlsFiles;

/// How long a client has to complete its handshake: oxapi's default.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The server's TLS configuration from the PEM files (panics, naming the file, if they are
/// unreadable or do not match).
pub fn acceptor(files: &TlsFiles) -> TlsAcceptor {
    let chain = CertificateDer::pem_file_iter(&files.cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .unwrap_or_else(|error| panic!("{}: {error}", files.cert.display()));
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .unwrap_or_else(|error| panic!("{}: {error}", files.key.display()));
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("ring supports TLS 1.2 and 1.3")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("the key is the certificate's");
    // Preference order: HTTP/2 for clients that offer it, as oxapi.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    TlsAcceptor::from(Arc::new(config))
}

/// The connection builders, made once and shared by every connection.
struct Protocols {
    http1: http1::Builder,
    http2: http2::Builder<TokioExecutor>,
    auto: auto::Builder<TokioExecutor>,
}

/// Accepts TLS connections on `listener` forever, serving each with a clone of `service`:
/// in the connection's own task, the handshake, then HTTP as ALPN chose, until it ends.
pub async fn serve<S, B>(listener: TcpListener, acceptor: TlsAcceptor, service: S)
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let protocols = Arc::new(Protocols {
        http1: http1::Builder::new(),
        http2: http2::Builder::new(TokioExecutor::new()),
        auto: auto::Builder::new(TokioExecutor::new()),
    });
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (acceptor, protocols, service) =
            (acceptor.clone(), Arc::clone(&protocols), service.clone());
        tokio::spawn(async move {
            // A failed or timed-out handshake: dropping the stream closes the connection.
            let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
            let Ok(Ok(stream)) = handshake.await else {
                return;
            };
            let alpn = stream.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
            let io = TokioIo::new(stream);
            // The connection's errors are the client's (reset, malformed HTTP): nothing to
            // report.
            match alpn.as_deref() {
                Some(b"h2") => {
                    let _ = protocols.http2.serve_connection(io, service).await;
                }
                Some(b"http/1.1") => {
                    let _ = protocols
                        .http1
                        .serve_connection(io, service)
                        .with_upgrades()
                        .await;
                }
                _ => {
                    let _ = protocols
                        .auto
                        .serve_connection_with_upgrades(io, service)
                        .await;
                }
            }
        });
    }
}
