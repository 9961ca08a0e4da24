//! The blocking pool seen from a client: plain-fn routes over real connections.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use oxapi::prelude::*;
use oxapi_tests::{Client, Server, Version};

/// Many requests in flight at once on a plain-fn route: every request gets its own response.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_concurrent_plain_fn_request_gets_its_own_response() {
    let server = Server::start(hello::app()).await;
    for version in [Version::Http1, Version::Http2] {
        let client = Client::new(&server, version);
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..200 {
            let client = client.clone();
            tasks.spawn(async move { (n, client.get(&format!("/sync/hello/n{n}")).await) });
        }
        let all = async {
            while let Some(joined) = tasks.join_next().await {
                let (n, reply) = joined.unwrap();
                assert_eq!(reply.status, 200, "{}", reply.text());
                assert_eq!(
                    reply.json()["message"],
                    format!("Hello, n{n}!"),
                    "request {n}"
                );
            }
        };
        tokio::time::timeout(Duration::from_secs(30), all)
            .await
            .expect("every request was answered");
    }
    server.stop().await;
}

const SIDE_BY_SIDE: usize = 6;

/// Waits until `SIDE_BY_SIDE` calls are inside it at once.
#[get("/sync/meet")]
fn meet(barrier: State<Arc<Barrier>>) -> &'static str {
    barrier.wait();
    "met"
}

/// Plain fns that block (here, on each other) each get a thread, whatever the number of cores:
/// a queued call gets a thread at once. Were they queued behind one another, none would
/// return.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_plain_fns_run_side_by_side() {
    let app = App::new()
        .state(Arc::new(Barrier::new(SIDE_BY_SIDE)))
        .routes(routes![meet]);
    let server = Server::start(app).await;
    let client = Client::new(&server, Version::Http1);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..SIDE_BY_SIDE {
        let client = client.clone();
        tasks.spawn(async move { client.get("/sync/meet").await });
    }
    let all = async {
        while let Some(reply) = tasks.join_next().await {
            let reply = reply.unwrap();
            assert_eq!(reply.status, 200);
            assert_eq!(reply.text(), "met");
        }
    };
    tokio::time::timeout(Duration::from_secs(20), all)
        .await
        .expect("every blocked call got a thread of its own");
    server.stop().await;
}

/// Sums a body's bytes off the event loop.
#[post("/digest")]
async fn digest(pool: oxapi::BlockingPool, body: Bytes) -> Result<String, ApiError> {
    let sum = pool
        .spawn_blocking(move || body.iter().map(|&byte| u64::from(byte)).sum::<u64>())
        .await?;
    Ok(sum.to_string())
}

/// A step that panics.
#[get("/digest/panics")]
async fn digest_panics(pool: oxapi::BlockingPool) -> Result<String, ApiError> {
    pool.spawn_blocking(|| -> String { panic!("the parser fell over") })
        .await
        .map_err(ApiError::from)
}

/// Takes the pool's one thread until the test says so; says when it has it.
#[get("/sync/hold")]
fn hold_thread(
    gate: State<std::sync::Mutex<std::sync::mpsc::Receiver<()>>>,
    entered: State<tokio::sync::mpsc::UnboundedSender<()>>,
) -> &'static str {
    let _ = entered.send(());
    let _ = gate.lock().map(|gate| gate.recv());
    "held"
}

/// Queues two steps at once: the first takes the queue's one place, the second is refused.
#[get("/digest/two")]
async fn two_steps(pool: oxapi::BlockingPool) -> Result<String, ApiError> {
    let first = pool.spawn_blocking(|| 1);
    let second = pool.spawn_blocking(|| 2);
    let second = second.await?;
    Ok((first.await? + second).to_string())
}

/// `BlockingPool` runs an `async fn`'s step on the app's pool: its value comes back, a panic is a
/// 500 problem, and a full pool a 503 with `Retry-After` at once, as for a plain fn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_steps_of_async_handlers_share_the_pool_and_its_limits() {
    let (release, gate) = std::sync::mpsc::channel::<()>();
    let (entered, mut holding) = tokio::sync::mpsc::unbounded_channel::<()>();
    let app = App::new()
        .blocking_threads(1)
        .blocking_queue(1)
        .state(std::sync::Mutex::new(gate))
        .state(entered)
        .routes(routes![digest, digest_panics, hold_thread, two_steps]);
    let server = Server::start(app).await;
    let client = Client::new(&server, Version::Http1);

    let summed = client.send(http::Method::POST, "/digest", &[], "ab").await;
    assert_eq!(summed.status, 200);
    assert_eq!(summed.text(), "195");
    let panicked = client.get("/digest/panics").await.problem(500);
    assert_eq!(panicked["type"], "urn:oxapi:problem:internal");
    assert!(
        panicked.get("detail").is_none_or(|detail| !detail
            .as_str()
            .is_some_and(|detail| detail.contains("fell over"))),
        "the panic's message stays in the log: {panicked}"
    );

    let held = tokio::spawn({
        let client = client.clone();
        async move { client.get("/sync/hold").await }
    });
    tokio::time::timeout(Duration::from_secs(10), holding.recv())
        .await
        .expect("the holder got the pool's thread");
    let refused = client.get("/digest/two").await;
    assert_eq!(refused.header("retry-after"), Some("1"));
    let refused = refused.problem(503);
    assert_eq!(refused["type"], "urn:oxapi:problem:overloaded");

    release.send(()).unwrap();
    let held = tokio::time::timeout(Duration::from_secs(10), held)
        .await
        .expect("the holder was answered")
        .unwrap();
    assert_eq!(held.text(), "held");
    server.stop().await;
}

/// A route taking `BlockingPool` documents the 503 of a full pool.
#[test]
fn a_blocking_step_is_documented_as_a_possible_503() {
    let document = App::new().routes(routes![digest]).openapi().unwrap();
    let responses = &document["paths"]["/digest"]["post"]["responses"];
    assert!(responses.get("503").is_some(), "{responses:#}");
}
