//! Background tasks over a real socket: they start after the response's body has ended (or the
//! client left), a failing one harms nothing else, the app's limit refuses and counts, and
//! shutdown drains them before its hooks.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use oxapi::prelude::*;
use oxapi::{Body, LifespanHandle, LifespanState, Response};
use oxapi_tests::{Client, Server, Streamed, VERSIONS};
use tokio::sync::{Notify, mpsc};
use tokio::time::timeout;

/// A response body the test writes chunk by chunk; it reports its end on the events channel.
struct ChannelBody {
    chunks: mpsc::Receiver<Bytes>,
    events: mpsc::UnboundedSender<&'static str>,
}

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        match std::task::ready!(self.chunks.poll_recv(cx)) {
            Some(chunk) => Poll::Ready(Some(Ok(hyper::body::Frame::data(chunk)))),
            None => {
                let _ = self.events.send("body ended");
                Poll::Ready(None)
            }
        }
    }
}

/// What the routes share with the test: the next streamed body's chunks, and one ordered
/// channel of what happened.
#[derive(Clone)]
struct Probe {
    bodies: Arc<Mutex<Vec<mpsc::Receiver<Bytes>>>>,
    events: mpsc::UnboundedSender<&'static str>,
    /// Holds the `/held` route's task until the test releases it.
    release: Arc<Notify>,
}

impl Probe {
    fn new() -> (Self, mpsc::UnboundedReceiver<&'static str>) {
        let (events, received) = mpsc::unbounded_channel();
        let probe = Self {
            bodies: Arc::default(),
            events,
            release: Arc::default(),
        };
        (probe, received)
    }

    /// The body of the next `/streamed` request, and its writer.
    fn next_body(&self) -> mpsc::Sender<Bytes> {
        let (sender, receiver) = mpsc::channel(1);
        self.bodies.lock().unwrap().push(receiver);
        sender
    }
}

/// The next event, or a failure after 10 s (a hang guard: every awaited event does come).
async fn next(events: &mut mpsc::UnboundedReceiver<&'static str>) -> &'static str {
    timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("an event within 10 s")
        .expect("the app holds the sender")
}

#[get("/streamed")]
async fn streamed(tasks: BackgroundTasks, probe: State<Probe>) -> Response {
    let events = probe.events.clone();
    tasks.spawn(async move {
        let _ = events.send("task ran");
    });
    let chunks = probe.bodies.lock().unwrap().pop().expect("a body queued");
    let body = ChannelBody {
        chunks,
        events: probe.events.clone(),
    };
    http::Response::new(Body::new(body))
}

#[get("/plain")]
fn plain(tasks: BackgroundTasks, probe: State<Probe>) -> &'static str {
    let events = probe.events.clone();
    tasks.spawn_blocking(move || {
        let on_pool = std::thread::current()
            .name()
            .is_some_and(|name| name.starts_with("oxapi-blocking-"));
        let _ = events.send(if on_pool {
            "blocking task ran on the pool"
        } else {
            "blocking task ran elsewhere"
        });
    });
    "queued"
}

#[get("/failing")]
async fn failing(tasks: BackgroundTasks, probe: State<Probe>) -> &'static str {
    tasks.spawn(async {
        if true {
            panic!("a task panics");
        }
    });
    tasks.spawn_blocking(|| -> Result<(), String> { panic!("a blocking task panics") });
    tasks.spawn(async { Err::<(), _>("a task fails") });
    let events = probe.events.clone();
    tasks.spawn(async move {
        let _ = events.send("the next task ran");
    });
    "queued"
}

#[get("/held")]
async fn held(tasks: BackgroundTasks, probe: State<Probe>) -> &'static str {
    let probe = Probe::clone(&probe);
    tasks.spawn(async move {
        let _ = probe.events.send("held task started");
        probe.release.notified().await;
        let _ = probe.events.send("held task done");
    });
    "queued"
}

/// A dependency of the app that queues a task of its own, for every route.
#[derive(Clone)]
struct Audit;

impl oxapi::FromRequestParts for Audit {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        ctx: &oxapi::RequestContext<'_>,
    ) -> Result<Self, Response> {
        let tasks = BackgroundTasks::from_request_parts(parts, ctx)
            .await
            .map_err(IntoResponse::into_response)?;
        let events = ctx.state::<Probe>().expect("a probe").events.clone();
        tasks.spawn(async move {
            let _ = events.send("audit ran");
        });
        Ok(Audit)
    }
}

/// Waits until `done` holds of the app's task counts; the timeout is a hang guard.
async fn counts_reach(
    lifespan: &LifespanHandle,
    done: impl Fn(oxapi::BackgroundTaskStats) -> bool,
) {
    timeout(Duration::from_secs(10), async {
        while !done(lifespan.background_tasks()) {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("counts now: {:?}", lifespan.background_tasks()));
}

/// Opens `/streamed` and reads its first chunk; returns the body's writer and the response.
async fn first_chunk(probe: &Probe, client: &Client) -> (mpsc::Sender<Bytes>, Streamed) {
    let writer = probe.next_body();
    let mut response = client.open("/streamed", &[]).await;
    writer.send(Bytes::from("first")).await.unwrap();
    let version = client.version();
    assert_eq!(response.chunk().await.unwrap(), "first", "{version:?}");
    (writer, response)
}

/// The task starts only once the body has ended: while the client reads the first chunk,
/// nothing has happened; the body's end comes before the task, on one ordered channel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_runs_after_the_response_body_has_ended() {
    let (probe, mut events) = Probe::new();
    let app = App::new().state(probe.clone()).routes(routes![streamed]);
    let server = Server::start(app).await;
    for version in VERSIONS {
        let (writer, mut response) = first_chunk(&probe, &Client::new(&server, version)).await;
        assert!(events.try_recv().is_err(), "{version:?}: nothing yet");
        drop(writer);
        assert_eq!(response.rest().await, "", "{version:?}");
        assert_eq!(next(&mut events).await, "body ended", "{version:?}");
        assert_eq!(next(&mut events).await, "task ran", "{version:?}");
    }
    server.stop().await;
}

/// A client that leaves mid-body drops the body: its tasks run all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_mid_body_still_gets_its_tasks_run() {
    let (probe, mut events) = Probe::new();
    let app = App::new().state(probe.clone()).routes(routes![streamed]);
    let server = Server::start(app).await;
    for version in VERSIONS {
        let (writer, response) = first_chunk(&probe, &Client::new(&server, version)).await;
        drop(response);
        // The body never ended (its writer is still here): the server dropped it.
        assert_eq!(next(&mut events).await, "task ran", "{version:?}");
        assert!(events.try_recv().is_err(), "{version:?}");
        drop(writer);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_fn_handler_queues_a_blocking_task_that_runs_on_the_pool() {
    let (probe, mut events) = Probe::new();
    let app = App::new().state(probe).routes(routes![plain]);
    let server = Server::start(app).await;
    for version in VERSIONS {
        let reply = Client::new(&server, version).get("/plain").await;
        assert_eq!(reply.text(), "queued", "{version:?}");
        assert_eq!(
            next(&mut events).await,
            "blocking task ran on the pool",
            "{version:?}"
        );
    }
    server.stop().await;
}

/// A dependency's tasks share the request's queue with the route's: both run, the
/// dependency's first, since it queued first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dependency_and_its_route_queue_tasks_on_one_request() {
    let (probe, mut events) = Probe::new();
    let app = App::new()
        .state(probe)
        .dependency::<Audit>()
        .routes(routes![plain, failing]);
    let server = Server::start(app).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        assert_eq!(client.get("/plain").await.text(), "queued", "{version:?}");
        assert_eq!(next(&mut events).await, "audit ran", "{version:?}");
        assert_eq!(next(&mut events).await, "blocking task ran on the pool");
    }
    server.stop().await;
}

/// Panicking and failing tasks are counted; the request's next task and the next request
/// are served as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_task_harms_neither_the_next_task_nor_the_next_request() {
    let (probe, mut events) = Probe::new();
    let app = App::new().state(probe).routes(routes![failing, plain]);
    let lifespan = app.lifespan_handle();
    let server = Server::start(app).await;
    let mut failed = 0;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        assert_eq!(client.get("/failing").await.text(), "queued", "{version:?}");
        assert_eq!(next(&mut events).await, "the next task ran", "{version:?}");
        failed += 3;
        counts_reach(&lifespan, |counts| {
            counts.failed == failed && counts.active == 0
        })
        .await;
        assert_eq!(client.get("/plain").await.status, 200, "{version:?}");
        assert_eq!(next(&mut events).await, "blocking task ran on the pool");
    }
    server.stop().await;
}

/// At the limit, a task is dropped unrun and counted; once a slot is free, tasks run again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_limit_a_task_is_refused_and_counted() {
    let (probe, mut events) = Probe::new();
    let app = App::new()
        .state(probe.clone())
        .background_task_limit(1)
        .routes(routes![held, plain]);
    let lifespan = app.lifespan_handle();
    let server = Server::start(app).await;
    let client = Client::new(&server, VERSIONS[0]);
    assert_eq!(client.get("/held").await.text(), "queued");
    assert_eq!(next(&mut events).await, "held task started");

    assert_eq!(client.get("/plain").await.text(), "queued");
    counts_reach(&lifespan, |counts| counts.refused == 1).await;
    let counts = lifespan.background_tasks();
    assert_eq!((counts.active, counts.limit), (1, 1));

    probe.release.notify_one();
    assert_eq!(next(&mut events).await, "held task done");
    counts_reach(&lifespan, |counts| counts.active == 0).await;
    assert_eq!(client.get("/plain").await.text(), "queued");
    // The refused task never ran: the next event is the one admitted after it.
    assert_eq!(next(&mut events).await, "blocking task ran on the pool");
    server.stop().await;
}

/// Shutdown waits for a running task before its hooks; a task past the grace period is
/// abandoned, and shutdown still ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_tasks_before_its_hooks_within_the_grace_period() {
    let (probe, mut events) = Probe::new();
    let hook_events = probe.events.clone();
    let app = App::new()
        .state(probe.clone())
        .on_shutdown(move || async move {
            let _ = hook_events.send("shutdown hook");
        })
        .routes(routes![held]);
    let lifespan = app.lifespan_handle();
    let server = Server::start(app).await;
    assert_eq!(
        Client::new(&server, VERSIONS[1]).get("/held").await.text(),
        "queued"
    );
    assert_eq!(next(&mut events).await, "held task started");
    let stopping = tokio::spawn(server.stop());
    lifespan.wait_for(LifespanState::Draining).await;
    probe.release.notify_one();
    assert_eq!(next(&mut events).await, "held task done");
    assert_eq!(next(&mut events).await, "shutdown hook");
    stopping.await.unwrap();

    // A task that never ends is abandoned at the end of the grace period.
    let (probe, mut events) = Probe::new();
    let app = App::new()
        .state(probe)
        .shutdown_grace(Duration::from_millis(200))
        .routes(routes![held]);
    let lifespan = app.lifespan_handle();
    let server = Server::start(app).await;
    assert_eq!(
        Client::new(&server, VERSIONS[0]).get("/held").await.text(),
        "queued"
    );
    assert_eq!(next(&mut events).await, "held task started");
    server.stop().await;
    assert_eq!(lifespan.state(), LifespanState::Stopped);
    assert_eq!(
        lifespan.background_tasks().active,
        1,
        "abandoned, still counted"
    );
}
