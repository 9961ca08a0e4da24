//! TLS end to end: a CA and certificates made by the test, an app served with `App::tls`,
//! and real clients: curl (HTTP/2 and HTTP/1.1 by ALPN), rustls under hyper, and
//! tokio-tungstenite for WebSockets over TLS. `cli.rs` runs the fixture process with
//! `--tls-cert`/`--tls-key` and reloads its certificate with SIGHUP.

mod certs;
mod cli;
mod client;

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use oxapi::prelude::*;
use oxapi::ws::WebSocket;
use oxapi::{ClientScheme, PeerAddr, TlsConfig};
use oxapi_tests::{Server, raw};
use tokio::io::AsyncReadExt as _;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite;

use certs::{Authority, ServerCert};
use client::{Connection, GUARD, H2, HTTP11, alpn, connect, connector, curl, handshake, peer_cert};

#[get("/hello")]
async fn hello() -> &'static str {
    "hello over TLS"
}

#[get("/whoami")]
async fn whoami(PeerAddr(peer): PeerAddr, scheme: ClientScheme) -> String {
    format!("{peer} {}", scheme.as_str())
}

#[websocket("/echo")]
async fn echo(mut socket: WebSocket) {
    while let Some(Ok(message)) = socket.recv().await {
        if socket.send_message(message).await.is_err() {
            break;
        }
    }
}

/// The test app over TLS with `cert`.
fn app(cert: &ServerCert, handshake_timeout: Duration) -> App {
    let tls = TlsConfig::from_pem(&cert.cert_pem, &cert.key_pem)
        .unwrap()
        .handshake_timeout(handshake_timeout);
    App::new().tls(tls).routes(routes![hello, whoami, echo])
}

/// Serves the test app with a certificate from `ca`.
async fn start(ca: &Authority) -> Server {
    Server::start(app(&ca.server_cert(1), oxapi::DEFAULT_HANDSHAKE_TIMEOUT)).await
}

#[tokio::test]
async fn curl_gets_http2_or_http1_as_alpn_decides() {
    let ca = Authority::new();
    let server = start(&ca).await;
    let (version, body) = curl(&ca.ca_file(), server.addr(), "/hello", "--http2").await;
    assert_eq!((version.as_str(), body.as_str()), ("2", "hello over TLS"));
    let (version, body) = curl(&ca.ca_file(), server.addr(), "/hello", "--http1.1").await;
    assert_eq!((version.as_str(), body.as_str()), ("1.1", "hello over TLS"));
    server.stop().await;
}

#[tokio::test]
async fn a_rust_client_gets_http2_by_alpn_with_the_peer_and_https_scheme() {
    let ca = Authority::new();
    let cert = ca.server_cert(1);
    let server = Server::start(app(&cert, oxapi::DEFAULT_HANDSHAKE_TIMEOUT)).await;
    let stream = connect(&ca, server.addr(), &[H2, HTTP11]).await;
    assert_eq!(alpn(&stream).as_deref(), Some(&b"h2"[..]));
    assert_eq!(peer_cert(&stream), cert.der);
    let local = stream.get_ref().0.local_addr().unwrap();
    let mut connection = Connection::http2(stream).await;
    let reply = connection.get("/hello").await;
    assert_eq!(reply.version, http::Version::HTTP_2);
    assert_eq!(
        (reply.status.as_u16(), reply.body.as_str()),
        (200, "hello over TLS")
    );
    let reply = connection.get("/whoami").await;
    assert_eq!(reply.body, format!("{local} https"));
    server.stop().await;
}

#[tokio::test]
async fn http1_by_alpn_keeps_its_connection_alive() {
    let ca = Authority::new();
    let server = start(&ca).await;
    let stream = connect(&ca, server.addr(), &[HTTP11]).await;
    assert_eq!(alpn(&stream).as_deref(), Some(&b"http/1.1"[..]));
    let local = stream.get_ref().0.local_addr().unwrap();
    let mut connection = Connection::http1(stream).await;
    for _ in 0..3 {
        let reply = connection.get("/whoami").await;
        assert_eq!(reply.version, http::Version::HTTP_11);
        assert_eq!(reply.body, format!("{local} https"), "the same connection");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_client_offering_no_alpn_is_served_either_version() {
    let ca = Authority::new();
    let server = start(&ca).await;
    let none = connector(ca.ca_der(), &[]);
    let stream = handshake(&none, server.addr()).await;
    assert_eq!(alpn(&stream), None);
    let reply = Connection::http1(stream).await.get("/hello").await;
    assert_eq!(
        (reply.version, reply.body.as_str()),
        (http::Version::HTTP_11, "hello over TLS")
    );
    // HTTP/2 with prior knowledge, told by its preface.
    let stream = handshake(&none, server.addr()).await;
    let reply = Connection::http2(stream).await.get("/hello").await;
    assert_eq!(
        (reply.version, reply.body.as_str()),
        (http::Version::HTTP_2, "hello over TLS")
    );
    server.stop().await;
}

#[tokio::test]
async fn websockets_work_over_tls() {
    let ca = Authority::new();
    let server = start(&ca).await;
    let stream = connect(&ca, server.addr(), &[HTTP11]).await;
    let connecting = tokio_tungstenite::client_async("wss://localhost/echo", stream);
    let (mut socket, response) = tokio::time::timeout(GUARD, connecting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), 101);
    socket
        .send(tungstenite::Message::text("over wss"))
        .await
        .unwrap();
    let echoed = tokio::time::timeout(GUARD, socket.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(echoed, tungstenite::Message::text("over wss"));
    socket.close(None).await.unwrap();
    server.stop().await;
}

/// Reads until the server closes `stream`: the end of the stream, or a reset.
async fn closed_by_server(mut stream: TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    // A reset (the server closing with the client's bytes unread) ends the read too.
    let _ = tokio::time::timeout(GUARD, stream.read_to_end(&mut received))
        .await
        .expect("the server closed the connection within the guard");
    received
}

#[tokio::test]
async fn a_client_that_never_completes_the_handshake_is_closed_at_the_timeout() {
    let ca = Authority::new();
    let server = Server::start(app(&ca.server_cert(1), Duration::from_millis(200))).await;
    let silent = TcpStream::connect(server.addr()).await.unwrap();
    let received = closed_by_server(silent).await;
    assert!(received.is_empty(), "{received:?}");
    // A half hello, then nothing.
    let mut trickle = TcpStream::connect(server.addr()).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut trickle, &[0x16, 0x03, 0x01, 0x00, 0xc8, 0x01])
        .await
        .unwrap();
    closed_by_server(trickle).await;
    // The server goes on serving.
    let stream = connect(&ca, server.addr(), &[H2]).await;
    let reply = Connection::http2(stream).await.get("/hello").await;
    assert_eq!(reply.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn plain_http_to_the_tls_port_is_closed_and_others_are_still_served() {
    let ca = Authority::new();
    let server = start(&ca).await;
    let answer = raw(
        server.addr(),
        b"GET /hello HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert!(!answer.contains("HTTP/1.1"), "{answer:?}");
    let (version, body) = curl(&ca.ca_file(), server.addr(), "/hello", "--http2").await;
    assert_eq!((version.as_str(), body.as_str()), ("2", "hello over TLS"));
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_certificate_fails_and_the_server_goes_on() {
    let ca = Authority::new();
    let server = start(&ca).await;
    let stranger = Authority::new();
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let refused = tokio::time::timeout(
        GUARD,
        connector(stranger.ca_der(), &[H2]).connect(name, tcp),
    )
    .await
    .unwrap();
    assert!(refused.is_err());
    let stream = connect(&ca, server.addr(), &[H2]).await;
    assert_eq!(
        Connection::http2(stream).await.get("/hello").await.status,
        200
    );
    server.stop().await;
}

#[tokio::test]
async fn shutdown_does_not_wait_for_a_handshake() {
    let ca = Authority::new();
    // A handshake timeout far past the stop's guard: only shutdown can end the connection.
    let server = Server::start(app(&ca.server_cert(1), Duration::from_secs(3600))).await;
    let silent = TcpStream::connect(server.addr()).await.unwrap();
    // The handshake has begun once the server answers another connection.
    let stream = connect(&ca, server.addr(), &[H2]).await;
    drop(stream);
    server.stop().await;
    assert!(closed_by_server(silent).await.is_empty());
}
