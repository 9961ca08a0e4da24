//! HTTP/2's limits against hostile clients: concurrent streams, header list size, and the
//! rapid-reset flood (CVE-2023-44487).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use oxapi::prelude::*;
use oxapi::{ServerLimits, State};
use oxapi_tests::{Client, Server, Version};
use tokio::net::TcpStream;

const HANG_GUARD: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Counter(AtomicUsize);

impl Counter {
    fn add(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

#[get("/counted")]
async fn counted(counter: State<Arc<Counter>>) -> &'static str {
    counter.add();
    // Held long enough that a reset always finds it running.
    tokio::task::yield_now().await;
    "counted"
}

#[get("/ping")]
async fn ping() -> &'static str {
    "pong"
}

fn app(counter: &Arc<Counter>) -> App {
    App::new()
        .routes(routes![counted, ping])
        .state(Arc::clone(counter))
        .server_limits(ServerLimits::default())
}

async fn h2_client(
    server: &Server,
) -> (
    h2::client::SendRequest<Bytes>,
    tokio::task::JoinHandle<Result<(), h2::Error>>,
) {
    let stream = TcpStream::connect(server.addr()).await.unwrap();
    let (client, connection) = h2::client::handshake(stream).await.unwrap();
    let connection = tokio::spawn(connection);
    (client, connection)
}

fn get(path: &str) -> http::Request<()> {
    http::Request::get(format!("http://localhost{path}"))
        .body(())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_advertises_its_stream_limit_and_refuses_oversized_header_lists() {
    let counter = Arc::new(Counter::default());
    let server = Server::start(app(&counter)).await;
    let (client, _connection) = h2_client(&server).await;
    let mut client = client.ready().await.unwrap();
    // A request's round trip brings the server's SETTINGS.
    let (response, _) = client.send_request(get("/ping"), true).unwrap();
    tokio::time::timeout(HANG_GUARD, response)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        client.current_max_send_streams(),
        ServerLimits::DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS as usize
    );
    let mut client = client.ready().await.unwrap();
    // 40 KiB of headers: over the 32 KiB header list the server allows.
    let mut request = get("/ping");
    for index in 0..20 {
        request.headers_mut().insert(
            http::HeaderName::from_bytes(format!("x-big-{index}").as_bytes()).unwrap(),
            http::HeaderValue::from_str(&"a".repeat(2048)).unwrap(),
        );
    }
    let (response, _) = client.send_request(request, true).unwrap();
    let response = tokio::time::timeout(HANG_GUARD, response)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), 431);
    // The connection goes on serving.
    let mut client = client.ready().await.unwrap();
    let (response, _) = client.send_request(get("/ping"), true).unwrap();
    let response = tokio::time::timeout(HANG_GUARD, response)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rapid_reset_flood_is_cut_off_and_others_are_served() {
    const FLOOD: usize = 20_000;
    let counter = Arc::new(Counter::default());
    let server = Server::start(app(&counter)).await;
    let (mut client, connection) = h2_client(&server).await;
    let mut sent = 0;
    let flood = async {
        for _ in 0..FLOOD {
            client = match client.ready().await {
                Ok(client) => client,
                Err(_) => return,
            };
            let Ok((_, mut stream)) = client.send_request(get("/counted"), false) else {
                return;
            };
            stream.send_reset(h2::Reason::CANCEL);
            sent += 1;
        }
    };
    tokio::time::timeout(HANG_GUARD, flood)
        .await
        .expect("the flood ends");
    // The server ends the flooding connection with GOAWAY ENHANCE_YOUR_CALM; the client
    // sees it, or, if it was still writing when the server closed, a broken pipe.
    let ended = tokio::time::timeout(HANG_GUARD, connection)
        .await
        .expect("the server closes the flooding connection")
        .unwrap();
    let error = ended.expect_err("the connection ends in an error");
    if let Some(reason) = error.reason() {
        assert_eq!(reason, h2::Reason::ENHANCE_YOUR_CALM, "{error}");
    } else {
        assert!(error.is_io(), "{error}");
    }
    let ran = counter.count();
    assert!(
        ran < FLOOD / 2,
        "{ran} handlers ran for {sent} streams sent: the flood was not cut short"
    );
    // Other clients are served all along.
    for version in [Version::Http1, Version::Http2] {
        assert_eq!(
            Client::new(&server, version).get("/ping").await.text(),
            "pong"
        );
    }
    server.stop().await;
}

/// Reads HTTP/2 frames from `stream` until it ends: whether a PING came, and whether the
/// server said GOAWAY.
async fn frames_until_closed(stream: &mut TcpStream) -> (bool, bool) {
    use tokio::io::AsyncReadExt;
    let (mut ping, mut goaway) = (false, false);
    let mut header = [0; 9];
    loop {
        if stream.read_exact(&mut header).await.is_err() {
            return (ping, goaway);
        }
        let length =
            usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
        let mut payload = vec![0; length];
        if stream.read_exact(&mut payload).await.is_err() {
            return (ping, goaway);
        }
        match header[3] {
            // PING that is not an ACK.
            6 if header[4] & 1 == 0 => ping = true,
            7 => goaway = true,
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_peer_that_does_not_answer_pings_is_closed() {
    use tokio::io::AsyncWriteExt;
    let counter = Arc::new(Counter::default());
    let app = App::new()
        .routes(routes![ping])
        .state(counter)
        .server_limits(
            ServerLimits::default()
                .http2_keep_alive(Duration::from_millis(100), Duration::from_millis(100)),
        );
    let server = Server::start(app).await;
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    // The preface and an empty SETTINGS frame; then silence: no SETTINGS ack, no PING ack.
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .unwrap();
    let (ping, _) = tokio::time::timeout(HANG_GUARD, frames_until_closed(&mut stream))
        .await
        .expect("the server closes a connection whose peer does not answer");
    assert!(
        ping,
        "the server pinged the quiet connection before closing it"
    );
    server.stop().await;
}
