//! The liveness and readiness probes every app serves, over a real socket: answered while the
//! startup hooks run (other requests wait for them), readiness failing from the moment shutdown
//! begins, configurable paths, hidden from the document unless asked.

use std::time::Duration;

use oxapi::prelude::*;
use oxapi::{LifespanState, ServeError};
use oxapi_tests::{Client, Server, VERSIONS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// Made by the startup hook.
struct Greeting(&'static str);

#[get("/greeting")]
async fn greeting(greeting: State<Greeting>) -> &'static str {
    greeting.0.0
}

/// An app whose startup hook waits for the test: `running` fires when it starts, and it
/// succeeds (or fails) when `finish` is sent.
fn app_with_held_startup() -> (App, oneshot::Receiver<()>, oneshot::Sender<bool>) {
    let (running, hook_runs) = oneshot::channel::<()>();
    let (finish, finishing) = oneshot::channel::<bool>();
    let app = App::new()
        .on_startup(|| async move {
            let _ = running.send(());
            if finishing.await.unwrap_or(false) {
                Ok(Greeting("hello after startup"))
            } else {
                Err("database unreachable")
            }
        })
        .routes(routes![greeting]);
    (app, hook_runs, finish)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_answer_while_startup_runs_and_other_requests_wait_for_it() {
    let (app, hook_runs, finish) = app_with_held_startup();
    let lifespan = app.lifespan_handle();
    let server = Server::start(app).await;
    hook_runs.await.unwrap();

    for version in VERSIONS {
        let client = Client::new(&server, version);
        let live = client.get("/livez").await;
        assert_eq!(live.status, 200, "{version:?}");
        assert_eq!(live.json(), serde_json::json!({ "status": "alive" }));
        assert_eq!(live.header("cache-control"), Some("no-store"));
        let ready = client.get("/readyz").await;
        let problem = ready.problem(503);
        assert_eq!(problem["type"], "urn:oxapi:problem:not-ready");
        assert_eq!(problem["detail"], "the service is starting");
        assert_eq!(ready.header("retry-after"), Some("1"));
    }

    // Sent while the hook runs: waits for it, on both versions, then sees its state.
    let waiting: Vec<_> = VERSIONS
        .iter()
        .map(|version| {
            let client = Client::new(&server, *version);
            tokio::spawn(async move { client.get("/greeting").await })
        })
        .collect();
    // Still starting: the probes say so, however long the requests above have waited.
    assert_eq!(lifespan.state(), LifespanState::Starting);
    assert_eq!(
        Client::new(&server, VERSIONS[0])
            .get("/readyz")
            .await
            .status,
        503
    );
    assert!(waiting.iter().all(|request| !request.is_finished()));

    finish.send(true).unwrap();
    for request in waiting {
        let reply = request.await.unwrap();
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.text(), "hello after startup");
    }
    for version in VERSIONS {
        let ready = Client::new(&server, version).get("/readyz").await;
        assert_eq!(ready.status, 200);
        assert_eq!(ready.json(), serde_json::json!({ "status": "ready" }));
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_waiting_for_a_failed_startup_is_answered_not_ready() {
    let (app, hook_runs, finish) = app_with_held_startup();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server_addr = listener.local_addr().unwrap();
    let serving = tokio::spawn(app.serve_with_shutdown(listener, std::future::pending()));
    hook_runs.await.unwrap();

    // Pipelined on one connection: the probe is answered while the request after it waits.
    // hyper reads both heads in one read and starts the second as soon as the first is
    // answered, so once the probe's answer is here the request is waiting, not in a buffer.
    let mut stream = TcpStream::connect(server_addr).await.unwrap();
    stream
        .write_all(
            b"GET /livez HTTP/1.1\r\nhost: x\r\n\r\n\
              GET /greeting HTTP/1.1\r\nhost: x\r\n\r\n",
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0; 4096];
    while !String::from_utf8_lossy(&answer).contains(r#"{"status":"alive"}"#) {
        let read = stream.read(&mut buffer).await.unwrap();
        assert!(read > 0, "closed before the probe's answer");
        answer.extend_from_slice(&buffer[..read]);
    }
    finish.send(false).unwrap();

    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    let second = &answer[answer.find(r#"{"status":"alive"}"#).unwrap()..];
    assert!(second.contains("HTTP/1.1 503 "), "{answer}");
    assert!(second.contains("urn:oxapi:problem:not-ready"), "{answer}");
    assert!(
        second.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    let error = serving.await.unwrap().unwrap_err();
    assert!(matches!(error, ServeError::Startup(_)), "{error}");
    assert!(
        TcpStream::connect(server_addr).await.is_err(),
        "nobody listens"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_from_the_moment_shutdown_begins_while_liveness_holds() {
    // A drain delay far longer than the test: the listener stays open throughout, so the
    // probes below are answered however slow the machine is.
    let app = App::new()
        .drain_delay(Duration::from_secs(600))
        .routes(routes![greeting])
        .state(Greeting("hi"));
    let lifespan = app.lifespan_handle();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (trigger, shutdown) = oneshot::channel::<()>();
    let serving = tokio::spawn(app.serve_with_shutdown(listener, async {
        let _ = shutdown.await;
    }));
    lifespan.wait_for(LifespanState::Ready).await;
    // Without `connection: close`: from the drain on, the server closes each connection
    // after its response by itself (before it, the one probe asks it to).
    let probe = |path: &'static str| async move {
        let request = format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n");
        oxapi_tests::raw(addr, request.as_bytes()).await
    };
    let before = oxapi_tests::raw(
        addr,
        b"GET /readyz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(oxapi_tests::raw_status(&before), 200, "{before}");

    trigger.send(()).unwrap();
    lifespan.wait_for(LifespanState::Draining).await;
    let ready = probe("/readyz").await;
    assert_eq!(oxapi_tests::raw_status(&ready), 503, "{ready}");
    assert!(ready.contains("the service is shutting down"), "{ready}");
    // Each response of the drain closes its connection, so a balancer reconnects elsewhere.
    assert!(
        ready.to_ascii_lowercase().contains("connection: close"),
        "{ready}"
    );
    assert_eq!(oxapi_tests::raw_status(&probe("/livez").await), 200);
    // Requests are still served during the delay.
    assert_eq!(oxapi_tests::raw_status(&probe("/greeting").await), 200);
    serving.abort();
}

#[tokio::test]
async fn probes_move_hide_and_show_as_configured() {
    let app = || App::new().routes(routes![greeting]).state(Greeting("hi"));

    let document = app().openapi().unwrap();
    let paths = document["paths"].as_object().unwrap();
    assert!(!paths.contains_key("/livez") && !paths.contains_key("/readyz"));

    let moved = app()
        .liveness_path(Some("/health/live"))
        .readiness_path(None)
        .test_client();
    assert_eq!(moved.get("/health/live").send().await.status(), 200);
    assert_eq!(moved.get("/livez").send().await.status(), 404);
    assert_eq!(moved.get("/readyz").send().await.status(), 404);

    let document = app().document_health(true).openapi().unwrap();
    let ready = &document["paths"]["/readyz"]["get"];
    assert_eq!(ready["operationId"], "readiness");
    assert!(ready["responses"]["200"].is_object());
    assert!(ready["responses"]["503"].is_object(), "{ready:#}");
    assert_eq!(
        document["paths"]["/livez"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            ["properties"]["status"]["const"],
        "alive"
    );
}

#[tokio::test]
async fn a_route_of_the_app_at_a_probe_path_is_a_build_error() {
    #[get("/readyz")]
    async fn my_ready() -> &'static str {
        "mine"
    }
    let error = App::new().routes(routes![my_ready]).check().unwrap_err();
    assert!(error.to_string().contains("/readyz"), "{error}");
    // Moving the probe resolves it.
    App::new()
        .routes(routes![my_ready])
        .readiness_path(Some("/health/ready"))
        .check()
        .unwrap();
}
