//! Graceful shutdown under load, in order: on SIGTERM the service turns not-ready at once,
//! keeps accepting for its drain delay while each connection is closed after its next answer
//! (HTTP/1 `Connection: close`, HTTP/2 `GOAWAY`), then closes its listener, finishes what is
//! in flight (requests, background tasks), closes idle keep-alive connections, runs its
//! shutdown hooks and exits 0. Every request a client sent is
//! answered; the only requests not answered are HTTP/2 streams the server refused with its
//! `GOAWAY`, which were never processed and are sent again, as clients do.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{CONNECTION, HOST};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

use super::process::Fixture;

/// How long the fixture keeps accepting after SIGTERM, in seconds (`--drain-delay`): long enough that every client has
/// reconnected within it (a hang guard: the test stops the clients as soon as they have).
const DRAIN_DELAY: &str = "3";
const HTTP1_CLIENTS: usize = 8;
const HTTP2_CLIENTS: usize = 2;
const HTTP2_STREAMS: usize = 4;

/// What the clients did and saw, across all of them.
#[derive(Default)]
struct Tally {
    /// Set by the test once SIGTERM has been sent.
    signalled: AtomicBool,
    /// Set by the test: open no new connection (a load balancer has taken the instance out).
    stop: AtomicBool,
    /// Requests written to a connection.
    sent: AtomicUsize,
    /// Requests answered 200 with their whole body.
    answered: AtomicUsize,
    /// HTTP/1 answers that said `Connection: close`.
    closed_by_server: AtomicUsize,
    /// HTTP/2 requests refused by the server's `GOAWAY` (or never written because of it):
    /// not processed, so safe to send again.
    refused: AtomicUsize,
    /// HTTP/2 connections that ended after SIGTERM (the server's `GOAWAY`).
    http2_went_away: AtomicUsize,
    /// HTTP/1 clients that had an answer on a connection opened after SIGTERM.
    reconnected: AtomicUsize,
    /// Every error a client saw that it should not have.
    failures: Mutex<Vec<String>>,
}

impl Tally {
    fn fail(&self, what: String) {
        self.failures.lock().unwrap().push(what);
    }

    /// A new connection; one refused is a failure, since the clients stop opening them
    /// before the drain delay ends.
    async fn connect(&self, addr: std::net::SocketAddr, client: &str) -> Option<TcpStream> {
        TcpStream::connect(addr)
            .await
            .map_err(|error| self.fail(format!("{client} connect during the drain delay: {error}")))
            .ok()
    }

    /// Reads `response` whole and counts it if it is the route's `200 done`; otherwise
    /// records a failure and returns `false`.
    async fn answered(
        &self,
        response: http::Response<hyper::body::Incoming>,
        client: &str,
    ) -> bool {
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map(|body| body.to_bytes());
        match body {
            Ok(body) if status == 200 && body == "done" => {
                self.answered.fetch_add(1, SeqCst);
                true
            }
            other => {
                self.fail(format!("{client} answer {status}: {other:?}"));
                false
            }
        }
    }

    fn get(&self, counter: &AtomicUsize) -> usize {
        counter.load(SeqCst)
    }
}

fn request(path: &str) -> http::Request<Empty<Bytes>> {
    http::Request::get(path)
        .header(HOST, "drain.test")
        .body(Empty::new())
        .unwrap()
}

/// Whether `error` says the request was not processed: never written, or an HTTP/2 stream
/// above the last one the server's `GOAWAY` promised to process (RFC 9113, section 6.8).
fn not_processed(error: &hyper::Error) -> bool {
    if error.is_canceled() {
        return true;
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(h2) = cause.downcast_ref::<h2::Error>() {
            return (h2.is_go_away()
                && h2.is_remote()
                && h2.reason() == Some(h2::Reason::NO_ERROR))
                || h2.reason() == Some(h2::Reason::REFUSED_STREAM);
        }
        source = cause.source();
    }
    false
}

/// Sends requests one after the other on a keep-alive connection until the server answers
/// `Connection: close`, then opens another, until told to stop.
async fn http1_client(addr: std::net::SocketAddr, tally: Arc<Tally>) {
    let mut reconnected = false;
    while !tally.stop.load(SeqCst) {
        let after_signal = tally.signalled.load(SeqCst);
        let Some(stream) = tally.connect(addr, "HTTP/1").await else {
            return;
        };
        let (mut sender, connection) = http1::handshake(TokioIo::new(stream)).await.unwrap();
        let driver = tokio::spawn(connection);
        loop {
            tally.sent.fetch_add(1, SeqCst);
            let response = match sender.send_request(request("/pause/2")).await {
                Ok(response) => response,
                Err(error) => {
                    tally.fail(format!("HTTP/1 request: {error}"));
                    return;
                }
            };
            let close = response
                .headers()
                .get(CONNECTION)
                .is_some_and(|value| value == "close");
            if !tally.answered(response, "HTTP/1").await {
                return;
            }
            if after_signal && !reconnected {
                reconnected = true;
                tally.reconnected.fetch_add(1, SeqCst);
            }
            if close {
                tally.closed_by_server.fetch_add(1, SeqCst);
                break;
            }
        }
        // The server closes the connection after that answer: cleanly.
        if let Ok(Err(error)) = driver.await {
            tally.fail(format!(
                "HTTP/1 connection after `Connection: close`: {error}"
            ));
        }
    }
}

/// Runs `HTTP2_STREAMS` requests at a time on one HTTP/2 connection until the server's
/// `GOAWAY` ends it, then opens another, until told to stop.
async fn http2_client(addr: std::net::SocketAddr, tally: Arc<Tally>) {
    while !tally.stop.load(SeqCst) {
        let after_signal = tally.signalled.load(SeqCst);
        let Some(stream) = tally.connect(addr, "HTTP/2").await else {
            return;
        };
        let Ok((sender, connection)) =
            http2::handshake(TokioExecutor::new(), TokioIo::new(stream)).await
        else {
            // A connection the server closed at once: nothing was sent on it.
            continue;
        };
        let driver = tokio::spawn(connection);
        let streams = (0..HTTP2_STREAMS).map(|_| {
            let mut sender = sender.clone();
            let tally = Arc::clone(&tally);
            async move {
                while sender.ready().await.is_ok() {
                    tally.sent.fetch_add(1, SeqCst);
                    match sender.send_request(request("/pause/2")).await {
                        Ok(response) => {
                            if !tally.answered(response, "HTTP/2").await {
                                return;
                            }
                        }
                        Err(error) if not_processed(&error) => {
                            tally.refused.fetch_add(1, SeqCst);
                            return;
                        }
                        Err(error) => {
                            tally.fail(format!("HTTP/2 request: {error:?}"));
                            return;
                        }
                    }
                }
            }
        });
        futures_util::future::join_all(streams).await;
        drop(sender);
        if let Ok(Err(error)) = driver.await {
            tally.fail(format!("HTTP/2 connection: {error}"));
        }
        if after_signal || tally.signalled.load(SeqCst) {
            tally.http2_went_away.fetch_add(1, SeqCst);
        }
    }
}

/// Waits until `done` holds, failing after 30 s (a hang guard, not a timing assumption).
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Probes `/ready` on new connections until it says 503 (30 s hang guard).
async fn until_not_ready(addr: std::net::SocketAddr) {
    let start = Instant::now();
    loop {
        let probe = b"GET /ready HTTP/1.1\r\nhost: drain.test\r\nconnection: close\r\n\r\n";
        let response = oxapi_tests::raw(addr, probe).await;
        if response.starts_with("HTTP/1.1 503") {
            return;
        }
        assert!(
            response.starts_with("HTTP/1.1 200"),
            "readiness: {response}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "still ready after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A keep-alive HTTP/1 connection that was answered once and then left idle.
async fn idle_connection(
    addr: std::net::SocketAddr,
) -> tokio::task::JoinHandle<Result<(), hyper::Error>> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = http1::handshake(TokioIo::new(stream)).await.unwrap();
    let driver = tokio::spawn(connection);
    let response = sender.send_request(request("/pause/0")).await.unwrap();
    assert_eq!(response.status(), 200);
    response.into_body().collect().await.unwrap();
    // Kept, not dropped: dropping the sender would close the connection from this side.
    tokio::spawn(async move {
        let _sender = sender;
        std::future::pending::<()>().await;
    });
    driver
}

#[test]
fn sigterm_under_load_answers_every_request_sent_then_exits_0() {
    let fixture = Fixture::start(
        &["--bind", "127.0.0.1:0", "--drain-delay", DRAIN_DELAY],
        &[],
    );
    let addr = fixture.addr;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let tally = Arc::new(Tally::default());
    runtime.block_on(async {
        let idle = idle_connection(addr).await;
        // A request in flight across the whole drain delay, on a connection of its own.
        let long = tokio::spawn(async move {
            let stream = TcpStream::connect(addr).await.unwrap();
            let (mut sender, connection) = http1::handshake(TokioIo::new(stream)).await.unwrap();
            let driver = tokio::spawn(connection);
            let response = sender.send_request(request("/pause/4000")).await;
            let answer = match response {
                Ok(response) => {
                    let close = response.headers().get(CONNECTION).cloned();
                    let status = response.status();
                    let body = response.into_body().collect().await.map(|b| b.to_bytes());
                    format!("{status} {close:?} {body:?}")
                }
                Err(error) => format!("error: {error}"),
            };
            (answer, driver.await.unwrap().is_ok())
        });
        let clients: Vec<_> = (0..HTTP1_CLIENTS)
            .map(|_| tokio::spawn(http1_client(addr, Arc::clone(&tally))))
            .chain((0..HTTP2_CLIENTS).map(|_| tokio::spawn(http2_client(addr, Arc::clone(&tally)))))
            .collect();
        // A background task that outlasts the drain delay.
        let queued = oxapi_tests::raw(
            addr,
            b"POST /background/4000 HTTP/1.1\r\nhost: drain.test\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        )
        .await;
        assert!(queued.ends_with("queued"), "{queued}");
        until("the load is under way", || {
            tally.get(&tally.answered) >= 400
        })
        .await;
        fixture.signal("-TERM");
        tally.signalled.store(true, SeqCst);
        let answered_at_signal = tally.get(&tally.answered);

        // Not ready from the signal on, while still answering on new connections.
        until_not_ready(addr).await;
        // Every HTTP/1 client was told to close and was answered on a new connection.
        until("every HTTP/1 client has reconnected", || {
            tally.get(&tally.reconnected) == HTTP1_CLIENTS
        })
        .await;
        until("every HTTP/2 client has seen GOAWAY", || {
            tally.get(&tally.http2_went_away) >= HTTP2_CLIENTS
        })
        .await;
        // A load balancer has taken the instance out: no new connections.
        tally.stop.store(true, SeqCst);
        for client in clients {
            tokio::time::timeout(Duration::from_secs(30), client)
                .await
                .expect("a client hung")
                .unwrap();
        }
        let (answer, closed_cleanly) = tokio::time::timeout(Duration::from_secs(30), long)
            .await
            .expect("the long request hung")
            .unwrap();
        assert!(
            answer.starts_with("200 OK Some(\"close\") Ok(b\"done\")"),
            "the request in flight across the delay: {answer}"
        );
        assert!(
            closed_cleanly,
            "the long request's connection ended in an error"
        );
        // The idle keep-alive connection was closed by the server, cleanly.
        let idle = tokio::time::timeout(Duration::from_secs(30), idle)
            .await
            .expect("the idle connection was left open")
            .unwrap();
        assert!(idle.is_ok(), "idle connection: {idle:?}");

        let failures = tally.failures.lock().unwrap();
        let (sent, answered, refused) = (
            tally.get(&tally.sent),
            tally.get(&tally.answered),
            tally.get(&tally.refused),
        );
        println!(
            "sent {sent}, answered {answered} ({} after SIGTERM), HTTP/1 told to close {}, \
             HTTP/2 refused by GOAWAY and sent again {refused}, failures {}",
            answered - answered_at_signal,
            tally.get(&tally.closed_by_server),
            failures.len()
        );
        assert!(failures.is_empty(), "client errors: {failures:#?}");
        assert_eq!(
            sent,
            answered + refused,
            "requests sent but neither answered nor refused"
        );
        assert!(tally.get(&tally.closed_by_server) >= HTTP1_CLIENTS);
    });
    // The background task finished before the shutdown hooks ran.
    let task = fixture.wait_for_stderr("fixture: ");
    assert!(
        task.contains("background task of 4000 ms done"),
        "first: {task}"
    );
    fixture.wait_for_stderr("fixture: shutdown hook ran");
    let status = fixture.wait();
    assert!(status.success(), "exit status {status}");
}

/// With no connection open when SIGTERM comes, one opened during the drain delay is still
/// answered, with `Connection: close`, and closed: the phase is kept even when no connection
/// was there to be told.
#[test]
fn a_connection_opened_during_the_drain_delay_is_answered_and_closed() {
    let fixture = Fixture::start(&["--bind", "127.0.0.1:0", "--drain-delay", "5"], &[]);
    let addr = fixture.addr;
    fixture.signal("-TERM");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // Each probe asks to close, so no connection stays open between them.
        until_not_ready(addr).await;
        // A keep-alive request: the server says it closes, and does (`raw` reads to the end).
        let response =
            oxapi_tests::raw(addr, b"GET /pause/0 HTTP/1.1\r\nhost: drain.test\r\n\r\n").await;
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(
            response
                .to_ascii_lowercase()
                .contains("\r\nconnection: close\r\n"),
            "{response}"
        );
    });
    assert!(fixture.wait().success());
}
