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
