//! Startup and shutdown hooks around a real server: state built before the first request, a
//! failing hook that serves nothing, and shutdown hooks that wait for in-flight requests.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use oxapi::prelude::*;
use oxapi::{Body, LifespanHandle, LifespanState, Response, ServeError};
use oxapi_tests::{Client, Server, VERSIONS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};

/// What happened, in order.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<&'static str>>>);

impl Log {
    fn push(&self, entry: &'static str) {
        self.0.lock().unwrap().push(entry);
    }

    fn entries(&self) -> Vec<&'static str> {
        self.0.lock().unwrap().clone()
    }
}

/// A handler in flight until the test releases it.
#[derive(Clone, Default)]
struct Gate {
    entered: Arc<Notify>,
    release: Arc<Notify>,
    log: Log,
}

/// Made by a startup hook.
struct Greeting {
    text: String,
}

#[get("/greeting")]
async fn greeting(greeting: State<Greeting>) -> String {
    greeting.text.clone()
}

#[get("/blocked")]
async fn blocked(gate: State<Gate>) -> &'static str {
    gate.entered.notify_one();
    gate.release.notified().await;
    gate.log.push("handler returned");
    "released"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_from_a_startup_hook_is_visible_to_handlers() {
    let app = App::new()
        .on_startup(|| async {
            Ok::<_, Infallible>(Greeting {
                text: "built at startup".into(),
            })
        })
        .routes(routes![greeting]);
    let server = Server::start(app).await;
    for version in VERSIONS {
        let reply = Client::new(&server, version).get("/greeting").await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.text(), "built at startup");
    }
    server.stop().await;
}

/// A request made while the hook runs waits for it; when the hook fails, it is answered with
/// the not-ready problem instead of being served, and the listener is closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_startup_hook_returns_its_error_and_serves_nothing() {
    let (running, hook_runs) = oneshot::channel::<()>();
    let (fail, failing) = oneshot::channel::<()>();
    let app = App::new().on_startup(|| async move {
        let _ = running.send(());
        let _ = failing.await;
        Err::<(), _>("database unreachable")
    });
    let lifespan = app.lifespan_handle();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let serving = tokio::spawn(app.serve_with_shutdown(listener, std::future::pending()));

    hook_runs.await.unwrap();
    let mut early = TcpStream::connect(addr).await.unwrap();
    early
        .write_all(b"GET /docs HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    fail.send(()).unwrap();

    let error = serving.await.unwrap().unwrap_err();
    let ServeError::Startup(startup) = &error else {
        panic!("not a startup error: {error}");
    };
    assert_eq!(startup.position(), 1);
    assert!(
        error.to_string().starts_with("startup hook #1 `"),
        "{error}"
    );
    let cause = std::error::Error::source(&error).unwrap();
    assert_eq!(cause.to_string(), "database unreachable");
    assert_eq!(lifespan.state(), LifespanState::Stopped);

    // Never served: told the service is not ready, and the connection closed.
    let mut answer = Vec::new();
    let _ = early.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
    assert!(answer.contains("urn:oxapi:problem:not-ready"), "{answer}");
    assert!(TcpStream::connect(addr).await.is_err(), "nobody listens");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_hooks_run_after_the_in_flight_request_completes() {
    for version in VERSIONS {
        let gate = Gate::default();
        let log = gate.log.clone();
        let app = App::new()
            .state(gate.clone())
            .on_shutdown(move || async move { log.push("shutdown hook") })
            .routes(routes![blocked]);
        let lifespan = app.lifespan_handle();
        let server = Server::start(app).await;
        let client = Client::new(&server, version);
        let in_flight = tokio::spawn(async move { client.get("/blocked").await });
        gate.entered.notified().await;

        let stopping = tokio::spawn(server.stop());
        assert_eq!(
            lifespan.wait_for(LifespanState::Draining).await,
            LifespanState::Draining
        );
        assert!(gate.log.entries().is_empty(), "{version:?}: the hook waits");

        gate.release.notify_one();
        let reply = in_flight.await.unwrap();
        assert_eq!(reply.status, 200, "{version:?}");
        assert_eq!(reply.text(), "released");
        stopping.await.unwrap();
        assert_eq!(lifespan.state(), LifespanState::Stopped);
        assert_eq!(
            gate.log.entries(),
            ["handler returned", "shutdown hook"],
            "{version:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_state_moves_from_starting_through_ready_and_draining_to_stopped() {
    let (running, hook_runs) = oneshot::channel::<()>();
    let (release, released) = oneshot::channel::<()>();
    let app = App::new()
        .on_startup(|| async move {
            let _ = running.send(());
            let _ = released.await;
        })
        .routes(routes![greeting])
        .on_startup(|| async { Ok::<_, Infallible>(Greeting { text: "hi".into() }) });
    let lifespan = app.lifespan_handle();
    let mut watcher = lifespan.clone();
    let observed = tokio::spawn(async move {
        let mut seen = vec![watcher.state()];
        while *seen.last().unwrap() != LifespanState::Stopped {
            seen.push(watcher.changed().await);
        }
        seen
    });

    let server = Server::start(app).await;
    hook_runs.await.unwrap();
    assert_eq!(lifespan.state(), LifespanState::Starting);
    release.send(()).unwrap();
    lifespan.wait_for(LifespanState::Ready).await;
    let reply = Client::new(&server, VERSIONS[0]).get("/greeting").await;
    assert_eq!(reply.text(), "hi");
    assert_eq!(lifespan.state(), LifespanState::Ready);
    server.stop().await;
    assert_eq!(lifespan.state(), LifespanState::Stopped);

    // A watcher may miss a state passed quickly, but never sees one out of order.
    let seen = observed.await.unwrap();
    assert_eq!(seen.first(), Some(&LifespanState::Starting));
    assert!(seen.windows(2).all(|pair| pair[0] < pair[1]), "{seen:?}");
}

/// A streamed body that sends `open`, then waits for shutdown to begin, then sends `bye` and
/// ends: what a long-lived stream does with the shutdown signal.
struct UntilShutdown {
    sent_open: bool,
    shutdown: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl hyper::body::Body for UntilShutdown {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        if !self.sent_open {
            self.sent_open = true;
            return Poll::Ready(Some(Ok(hyper::body::Frame::data(Bytes::from("open\n")))));
        }
        let Some(shutdown) = self.shutdown.as_mut() else {
            return Poll::Ready(None);
        };
        std::task::ready!(shutdown.as_mut().poll(cx));
        self.shutdown = None;
        Poll::Ready(Some(Ok(hyper::body::Frame::data(Bytes::from("bye\n")))))
    }
}

#[get("/stream")]
async fn stream(lifespan: State<LifespanHandle>, gate: State<Gate>) -> Response {
    gate.entered.notify_one();
    let body = UntilShutdown {
        sent_open: false,
        shutdown: Some(Box::pin(lifespan.shutdown_signal())),
    };
    http::Response::new(Body::new(body))
}

/// The stream ends itself when shutdown begins, so the server stops without waiting out a
/// grace period far longer than the test may take.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_awaiting_the_shutdown_signal_ends_and_the_server_stops() {
    for version in VERSIONS {
        let gate = Gate::default();
        let app = App::new()
            .state(gate.clone())
            .shutdown_grace(Duration::MAX)
            .routes(routes![stream]);
        let server = Server::start(app).await;
        let client = Client::new(&server, version);
        let in_flight = tokio::spawn(async move { client.get("/stream").await });
        gate.entered.notified().await;
        server.stop().await;
        let reply = in_flight.await.unwrap();
        assert_eq!(reply.text(), "open\nbye\n", "{version:?}");
    }
}

/// The test client drains its own in-flight requests before the shutdown hooks, as the
/// server does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_test_client_runs_shutdown_hooks_after_its_in_flight_request() {
    let gate = Gate::default();
    let log = gate.log.clone();
    let client = App::new()
        .state(gate.clone())
        .on_shutdown(move || async move { log.push("shutdown hook") })
        .routes(routes![blocked])
        .test_client();
    let lifespan = client.lifespan_handle();
    let sender = client.clone();
    let in_flight = tokio::spawn(async move { sender.get("/blocked").send().await });
    gate.entered.notified().await;
    let stopping = tokio::spawn(async move { client.shutdown().await });
    lifespan.wait_for(LifespanState::Draining).await;
    assert!(gate.log.entries().is_empty(), "the hook waits");
    gate.release.notify_one();
    assert_eq!(in_flight.await.unwrap().text(), "released");
    stopping.await.unwrap();
    assert_eq!(gate.log.entries(), ["handler returned", "shutdown hook"]);
    assert_eq!(lifespan.state(), LifespanState::Stopped);
}

/// The build check comes first: an app with errors runs no hook at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_with_build_errors_runs_no_hook() {
    let log = Log::default();
    let hook_log = log.clone();
    let app = App::new()
        .on_startup(move || async move { hook_log.push("startup hook") })
        .routes(routes![greeting]);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let error = app
        .serve_with_shutdown(listener, std::future::pending())
        .await
        .unwrap_err();
    assert!(matches!(error, ServeError::Build(_)), "{error}");
    assert!(error.to_string().contains("State<"), "{error}");
    assert!(log.entries().is_empty());
}
