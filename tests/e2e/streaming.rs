//! Streamed responses over a real socket, on HTTP/1.1 and h2c: bytes from a stream and from a
//! blocking iterator, JSON Lines, Server-Sent Events; a client that leaves stops the producer,
//! a client that does not read holds it back, shutdown ends every stream. And the request body
//! read as a stream, within the route's limit.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use oxapi::futures::{StreamExt, stream};
use oxapi::prelude::*;
use oxapi::{BodyStream, Event, JsonLines, LastEventId, Rejection, Sse, Streaming};
use oxapi_tests::{Client, Server, VERSIONS, raw, raw_status};
use tokio::sync::{Notify, mpsc};
use tokio::time::timeout;

/// Sends `event` when dropped: how a test sees that the server let go of a producer.
struct OnDrop {
    events: mpsc::UnboundedSender<&'static str>,
    event: &'static str,
}

impl Drop for OnDrop {
    fn drop(&mut self) {
        let _ = self.events.send(self.event);
    }
}

/// What the routes share with the test.
#[derive(Clone)]
struct Probe {
    events: mpsc::UnboundedSender<&'static str>,
    /// Items an iterator or stream produced so far.
    produced: Arc<AtomicUsize>,
    /// Makes `/failing` fail.
    fail: Arc<Notify>,
}

impl Probe {
    fn new() -> (Self, mpsc::UnboundedReceiver<&'static str>) {
        let (events, received) = mpsc::unbounded_channel();
        let probe = Self {
            events,
            produced: Arc::default(),
            fail: Arc::default(),
        };
        (probe, received)
    }

    fn on_drop(&self, event: &'static str) -> OnDrop {
        OnDrop {
            events: self.events.clone(),
            event,
        }
    }
}

/// The next event; the timeout is a hang guard.
async fn next(events: &mut mpsc::UnboundedReceiver<&'static str>) -> &'static str {
    timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("an event within 10 s")
        .expect("the app holds the sender")
}

const CHUNK: usize = 64 * 1024;

/// `first`, then nothing until the connection ends or shutdown: a subscriber's stream.
#[get("/forever")]
async fn forever(probe: State<Probe>) -> Streaming {
    let guard = probe.on_drop("stream dropped");
    let rest = stream::pending::<Result<Bytes, std::io::Error>>().map(move |chunk| {
        let _ = &guard;
        chunk
    });
    Streaming::new(stream::once(async { Ok(Bytes::from("first\n")) }).chain(rest))
        .content_type("text/plain; charset=utf-8")
}

/// An endless blocking generator of 64 KiB chunks that counts how far it got.
#[get("/generator")]
fn generator(probe: State<Probe>) -> Streaming {
    let guard = probe.on_drop("iterator dropped");
    let produced = Arc::clone(&probe.produced);
    Streaming::from_iter(std::iter::repeat_with(move || {
        let _ = &guard;
        assert!(
            std::thread::current()
                .name()
                .is_some_and(|name| name.starts_with("oxapi-blocking-")),
            "next() runs on the app's pool"
        );
        produced.fetch_add(1, Ordering::SeqCst);
        Bytes::from(vec![b'x'; CHUNK])
    }))
}

/// An endless async stream of 64 KiB chunks that counts how far it got.
#[get("/endless")]
async fn endless(probe: State<Probe>) -> Streaming {
    let produced = Arc::clone(&probe.produced);
    Streaming::new(stream::repeat_with(move || {
        produced.fetch_add(1, Ordering::SeqCst);
        Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; CHUNK]))
    }))
}

/// One chunk, then a failure once the test says so.
#[get("/failing")]
async fn failing(probe: State<Probe>) -> Streaming {
    let fail = Arc::clone(&probe.fail);
    let failure = stream::once(async move {
        fail.notified().await;
        Err(std::io::Error::other("the source failed"))
    });
    Streaming::new(stream::once(async { Ok(Bytes::from("partial")) }).chain(failure))
}

#[get("/busy")]
fn busy() -> &'static str {
    "pool free"
}

#[model]
struct Row {
    n: u32,
    text: String,
}

#[get("/rows")]
async fn rows() -> JsonLines<Row> {
    JsonLines::from_iter((1..=3).map(|n| Row {
        n,
        text: format!("line\n{n}"),
    }))
}

#[get("/events")]
async fn events(last: LastEventId, probe: State<Probe>) -> Sse<Row> {
    let guard = probe.on_drop("events dropped");
    let from = last.0.and_then(|id| id.parse().ok()).unwrap_or(0);
    let first = Event::data(Row {
        n: from + 1,
        text: "a\nb".into(),
    })
    .event("tick\r\ndata: injected")
    .id(format!("{}\n", from + 1))
    .retry(Duration::from_millis(1500))
    .with_comment("two\nlines");
    let rest = stream::pending().map(move |event: Event<Row>| {
        let _ = &guard;
        event
    });
    Sse::new(stream::once(async move { first }).chain(rest))
        .keep_alive(Duration::from_millis(20))
        .on_shutdown(Event::comment("shutting down").retry(Duration::from_secs(1)))
}

#[post("/upload", body_limit = 1000)]
async fn upload(mut body: BodyStream) -> Result<String, Rejection> {
    let (mut chunks, mut total) = (0, 0);
    while let Some(chunk) = body.next().await {
        total += chunk?.len();
        chunks += 1;
    }
    Ok(format!("{total} bytes in {chunks} chunks"))
}

fn app(probe: Probe) -> App {
    App::new()
        .state(probe)
        .shutdown_grace(Duration::MAX)
        .routes(routes![
            forever, generator, endless, failing, busy, rows, events, upload
        ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_is_sent_as_it_comes_and_dropped_when_the_client_leaves() {
    let (probe, mut events) = Probe::new();
    let server = Server::start(app(probe)).await;
    for version in VERSIONS {
        let mut response = Client::new(&server, version).open("/forever", &[]).await;
        assert_eq!(
            response.response.headers()["content-type"],
            "text/plain; charset=utf-8"
        );
        // The stream has not ended: the first chunk came on its own.
        assert_eq!(response.chunk().await.unwrap(), "first\n", "{version:?}");
        drop(response);
        assert_eq!(next(&mut events).await, "stream dropped", "{version:?}");
    }
    server.stop().await;
}

/// Shutdown ends an endless stream cleanly: the client reads a complete body, and the
/// server stops although its grace period is endless.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_streams_cleanly() {
    for version in VERSIONS {
        let (probe, _events) = Probe::new();
        let server = Server::start(app(probe)).await;
        let client = Client::new(&server, version);
        let mut stream = client.open("/forever", &[]).await;
        let mut sse = client.open("/events", &[]).await;
        assert_eq!(stream.chunk().await.unwrap(), "first\n");
        assert!(sse.chunk().await.is_some());
        server.stop().await;
        assert_eq!(stream.rest().await, "", "{version:?}");
        let rest = sse.rest().await;
        // Keep-alive comments, then the shutdown event.
        let farewell = ": shutting down\nretry: 1000\n\n";
        let before = rest
            .strip_suffix(farewell)
            .unwrap_or_else(|| panic!("{rest:?}"));
        assert!(before.chars().all(|c| c == ':' || c == '\n'), "{rest:?}");
    }
}

/// While the client reads nothing, an endless producer gets no further than what the
/// connection's buffers hold: far below what it would make in the window if unbounded.
async fn a_producer_is_held_back_by_a_client_that_does_not_read(path: &str) {
    const BOUND: usize = 512; // 32 MiB of 64 KiB chunks; loopback buffers hold far less.
    for version in VERSIONS {
        let (probe, _events) = Probe::new();
        let produced = Arc::clone(&probe.produced);
        let server = Server::start(app(probe).blocking_threads(1)).await;
        let client = Client::new(&server, version);
        let mut response = client.open(path, &[]).await;
        assert!(!response.chunk().await.unwrap().is_empty());
        // A window in which an unbounded producer would pass the bound many times over; a
        // bounded one passes whatever the timing.
        let ran_ahead = timeout(Duration::from_millis(300), async {
            while produced.load(Ordering::SeqCst) <= BOUND {
                tokio::task::yield_now().await;
            }
        })
        .await;
        assert!(
            ran_ahead.is_err(),
            "{version:?}: {} chunks made for a client that read one",
            produced.load(Ordering::SeqCst)
        );
        // The one pool thread is free for a plain fn: a stalled generator holds none.
        assert_eq!(client.get("/busy").await.text(), "pool free", "{version:?}");
        drop(response);
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_is_held_back_by_a_client_that_does_not_read() {
    a_producer_is_held_back_by_a_client_that_does_not_read("/endless").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_iterator_is_held_back_and_holds_no_pool_thread() {
    a_producer_is_held_back_by_a_client_that_does_not_read("/generator").await;
}

/// A client that leaves stops the iterator: it is dropped, and `next()` is called no more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_iterator_is_dropped_when_the_client_leaves() {
    for version in VERSIONS {
        let (probe, mut events) = Probe::new();
        let produced = Arc::clone(&probe.produced);
        let server = Server::start(app(probe)).await;
        let mut response = Client::new(&server, version).open("/generator", &[]).await;
        assert!(!response.chunk().await.unwrap().is_empty());
        drop(response);
        assert_eq!(next(&mut events).await, "iterator dropped", "{version:?}");
        let after = produced.load(Ordering::SeqCst);
        server.stop().await;
        assert_eq!(produced.load(Ordering::SeqCst), after, "{version:?}");
    }
}

/// A stream that fails aborts the response: the client sees a body cut short, never a
/// complete one; the server serves the next request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_stream_cuts_the_response_short() {
    let (probe, _events) = Probe::new();
    let server = Server::start(app(probe.clone())).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let mut response = client.open("/failing", &[]).await;
        assert_eq!(response.chunk().await.unwrap(), "partial", "{version:?}");
        probe.fail.notify_one();
        let after = timeout(Duration::from_secs(10), response.response.frame())
            .await
            .expect("the body ends within 10 s");
        assert!(
            matches!(after, Some(Err(_))),
            "{version:?}: expected a failed read, got {after:?}"
        );
        assert_eq!(client.get("/busy").await.text(), "pool free", "{version:?}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lines_send_one_value_per_line() {
    let (probe, _events) = Probe::new();
    let server = Server::start(app(probe)).await;
    for version in VERSIONS {
        let reply = Client::new(&server, version).get("/rows").await;
        assert_eq!(reply.header("content-type"), Some("application/jsonl"));
        let lines: Vec<_> = reply.text().lines().map(str::to_owned).collect();
        assert_eq!(
            lines,
            [
                r#"{"n":1,"text":"line\n1"}"#,
                r#"{"n":2,"text":"line\n2"}"#,
                r#"{"n":3,"text":"line\n3"}"#
            ],
            "{version:?}"
        );
    }
    server.stop().await;
}

/// Event framing: comments line by line, `event` and `id` stripped of line breaks (no field
/// can be injected), `retry` in milliseconds, `Last-Event-ID` read; then keep-alive comments
/// while the stream is idle, and the producer dropped when the client leaves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_sent_events_are_framed_kept_alive_and_stopped() {
    let (probe, mut events) = Probe::new();
    let server = Server::start(app(probe)).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let mut response = client.open("/events", &[("last-event-id", "41")]).await;
        let headers = response.response.headers();
        assert_eq!(headers["content-type"], "text/event-stream");
        assert_eq!(headers["cache-control"], "no-cache");
        let mut text = String::new();
        while !text.ends_with("\n\n") {
            text.push_str(std::str::from_utf8(&response.chunk().await.unwrap()).unwrap());
        }
        assert_eq!(
            text,
            ": two\n: lines\nevent: tickdata: injected\nid: 42\nretry: 1500\n\
             data: {\"n\":42,\"text\":\"a\\nb\"}\n\n",
            "{version:?}"
        );
        assert_eq!(response.chunk().await.unwrap(), ":\n\n", "{version:?}");
        drop(response);
        assert_eq!(next(&mut events).await, "events dropped", "{version:?}");
    }
    // A Last-Event-ID that is not visible ASCII is a 422, as any header parameter's.
    let answer = raw(
        server.addr(),
        b"GET /events HTTP/1.1\r\nhost: x\r\nlast-event-id: \xff\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(raw_status(&answer), 422, "{answer}");
    assert!(answer.contains("header.last-event-id"), "{answer}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_stream_reads_chunks_within_the_limit() {
    let (probe, _events) = Probe::new();
    let server = Server::start(app(probe)).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let reply = client
            .send(http::Method::POST, "/upload", &[], vec![b'x'; 1000])
            .await;
        assert!(
            reply.text().starts_with("1000 bytes in "),
            "{}",
            reply.text()
        );
        // A declared length over the limit: refused before the handler.
        let reply = client
            .send(http::Method::POST, "/upload", &[], vec![b'x'; 1001])
            .await;
        reply.problem(413);
    }
    // A chunked body that grows past the limit: the stream's error, passed on with `?`.
    let mut request = b"POST /upload HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\
        connection: close\r\n\r\n"
        .to_vec();
    for _ in 0..3 {
        request.extend_from_slice(b"190\r\n");
        request.extend_from_slice(&[b'x'; 400]);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let answer = raw(server.addr(), &request).await;
    assert_eq!(raw_status(&answer), 413, "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");

    // The same on h2c, with a body of three frames and no declared length.
    let status = h2c_post_unsized(server.addr(), "/upload", 3, 400).await;
    assert_eq!(status, 413);
    let status = h2c_post_unsized(server.addr(), "/upload", 2, 400).await;
    assert_eq!(status, 200);
    server.stop().await;
}

/// `POST path` over h2c with a body of `frames` frames of `size` bytes and no
/// `content-length`; the response's status.
async fn h2c_post_unsized(
    addr: std::net::SocketAddr,
    path: &str,
    frames: usize,
    size: usize,
) -> u16 {
    use hyper::body::Frame;
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    let chunks = stream::iter(0..frames).map(move |_| {
        Ok::<_, std::convert::Infallible>(Frame::data(Bytes::from(vec![b'x'; size])))
    });
    let request = http::Request::post(format!("http://{addr}{path}"))
        .body(http_body_util::StreamBody::new(chunks))
        .unwrap();
    let response = timeout(Duration::from_secs(10), sender.send_request(request))
        .await
        .expect("an answer within 10 s")
        .expect("the request is answered");
    response.status().as_u16()
}
