//! Bad input always gets problem details with the right status: never a panic, a hang or a 500.

use std::sync::Arc;
use std::time::Duration;

use http::Method;
use oxapi::prelude::*;
use oxapi_tests::{Calls, Client, Server, VERSIONS, raw, raw_status};

/// hello's `GET /hello/{name}`, counting its calls.
#[get("/hello/{name}")]
async fn counted_hello(calls: State<Arc<Calls>>, name: String) -> String {
    calls.add();
    format!("Hello, {name}!")
}

/// hello's `POST /items`, counting its calls.
#[post("/items", status = 201)]
async fn counted_create(calls: State<Arc<Calls>>, body: Json<hello::NewItem>) -> String {
    calls.add();
    body.0.name
}

/// An app with `counted_hello` and `counted_create`, and the counter of their calls.
fn counted_app() -> (App, Arc<Calls>) {
    let calls = Arc::new(Calls::default());
    let app = App::new()
        .state(Arc::clone(&calls))
        .routes(routes![counted_hello, counted_create]);
    (app, calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_path_is_404_and_wrong_method_is_405_with_allow() {
    let server = Server::start(hello::app()).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let problem = client.get("/nowhere").await.problem(404);
        assert_eq!(problem["type"], "urn:oxapi:problem:not-found");
        // Trailing slashes are distinct paths.
        client.get("/items/").await.problem(404);

        let reply = client.send(Method::DELETE, "/items", &[], "").await;
        reply.problem(405);
        assert_eq!(reply.header("allow"), Some("GET, HEAD, POST"));
        let reply = client.send(Method::POST, "/hello/x", &[], "").await;
        reply.problem(405);
        assert_eq!(reply.header("allow"), Some("GET, HEAD"));
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_400_with_the_position() {
    let (app, calls) = counted_app();
    let server = Server::start(app).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let before = calls.count();
        for body in [
            r#"{"name": "pen", "price": }"#,
            "{",
            "",
            r#"{"name": "pen","#,
            r#"{"name":"a","price":1} x"#,
        ] {
            let reply = client.post_json("/items", body).await;
            assert_eq!(calls.count(), before, "the handler ran for {body:?}");
            let problem = reply.problem(400);
            assert_eq!(
                problem["type"], "urn:oxapi:problem:malformed-body",
                "{body}"
            );
            assert!(
                problem["detail"]
                    .as_str()
                    .unwrap()
                    .starts_with("malformed JSON"),
                "{body}"
            );
        }
        let reply = client
            .post_json("/items", r#"{"name":"pen","price":1}"#)
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        assert_eq!(
            calls.count(),
            before + 1,
            "the handler ran for the valid body"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_types_and_missing_fields_are_422_with_locations() {
    let (app, calls) = counted_app();
    let server = Server::start(app).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let before = calls.count();
        let cases: [(&str, &[&str]); 8] = [
            (r#"{"name": 5, "price": 1}"#, &["body.name"]),
            (r#"{"name": "pen"}"#, &["body.price"]),
            (r#"{"price": 1}"#, &["body.name"]),
            (r#"{"name": "pen", "price": "cheap"}"#, &["body.price"]),
            (r#"[]"#, &["body"]),
            // Every failing field, not only the first serde met.
            (r#"{"name": 5, "price": "x"}"#, &["body.name", "body.price"]),
            (r#"{}"#, &["body.name", "body.price"]),
            // Well-typed, but against the validation rules.
            (r#"{"name": "pen", "price": -1}"#, &["body.price"]),
        ];
        for (body, expected) in cases {
            let reply = client.post_json("/items", body).await;
            assert_eq!(calls.count(), before, "the handler ran for {body}");
            let problem = reply.problem(422);
            assert_eq!(oxapi_tests::locations(&problem), expected, "{body}");
            assert!(problem["errors"][0]["message"].is_string());
        }
        let reply = client
            .post_json("/items", r#"{"name":"pen","price":1}"#)
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        assert_eq!(
            calls.count(),
            before + 1,
            "the handler ran for the valid body"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_type_is_checked_415() {
    let (app, calls) = counted_app();
    let server = Server::start(app).await;
    let body = r#"{"name":"pen","price":1}"#;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        for accepted in [
            "application/json",
            "application/json; charset=utf-8",
            "APPLICATION/JSON",
            "application/merge-patch+json",
            "application/vnd.shop+json; version=2",
        ] {
            let before = calls.count();
            let reply = client
                .send(Method::POST, "/items", &[("content-type", accepted)], body)
                .await;
            assert_eq!(reply.status, 201, "{accepted}: {}", reply.text());
            assert_eq!(calls.count(), before + 1, "the handler ran for {accepted}");
        }
        let before = calls.count();
        for refused in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/jsonp",
        ] {
            let reply = client
                .send(Method::POST, "/items", &[("content-type", refused)], body)
                .await;
            assert_eq!(calls.count(), before, "the handler ran for {refused}");
            let problem = reply.problem(415);
            assert_eq!(problem["type"], "urn:oxapi:problem:unsupported-media-type");
        }
        let reply = client.send(Method::POST, "/items", &[], body).await;
        assert_eq!(
            calls.count(),
            before,
            "the handler ran without a content type"
        );
        reply.problem(415);
    }
    server.stop().await;
}

/// Echoes the length of a body, with a per-route limit of 16 bytes.
#[post("/small", body_limit = 16)]
async fn small(calls: State<Arc<Calls>>, body: Bytes) -> String {
    calls.add();
    body.len().to_string()
}

/// Echoes the length of a body, under the app's limit.
#[post("/big")]
async fn big(calls: State<Arc<Calls>>, body: Bytes) -> String {
    calls.add();
    body.len().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_are_413() {
    let calls = Arc::new(Calls::default());
    let app = App::new()
        .body_limit(1024)
        .state(Arc::clone(&calls))
        .routes(routes![small, big]);
    let server = Server::start(app).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let before = calls.count();
        let ok = client
            .send(Method::POST, "/small", &[], "x".repeat(16))
            .await;
        assert_eq!(ok.text(), "16");
        assert_eq!(calls.count(), before + 1);
        let reply = client
            .send(Method::POST, "/small", &[], "x".repeat(17))
            .await;
        assert_eq!(calls.count(), before + 1, "the handler ran for 17 bytes");
        let problem = reply.problem(413);
        assert_eq!(problem["type"], "urn:oxapi:problem:body-too-large");
        assert_eq!(
            client
                .send(Method::POST, "/big", &[], "x".repeat(1024))
                .await
                .text(),
            "1024"
        );
        assert_eq!(calls.count(), before + 2);
        let reply = client
            .send(Method::POST, "/big", &[], "x".repeat(1025))
            .await;
        assert_eq!(calls.count(), before + 2, "the handler ran for 1025 bytes");
        reply.problem(413);
    }
    let before = calls.count();
    // Without Content-Length (chunked), the limit holds while reading.
    let chunked = raw(
        server.addr(),
        b"POST /small HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n",
    )
    .await;
    assert_eq!(
        calls.count(),
        before,
        "the handler ran for 32 chunked bytes"
    );
    assert_eq!(raw_status(&chunked), 413, "{chunked}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_limit_is_2_mib() {
    let calls = Arc::new(Calls::default());
    let app = App::new().state(Arc::clone(&calls)).routes(routes![big]);
    let server = Server::start(app).await;
    let client = Client::new(&server, oxapi_tests::Version::Http1);
    let limit = 2 * 1024 * 1024;
    assert_eq!(
        client
            .send(Method::POST, "/big", &[], vec![b'x'; limit])
            .await
            .text(),
        limit.to_string()
    );
    // Over the limit by its Content-Length: refused before the body is read. Sent as raw
    // bytes, headers only: a client still writing 2 MiB when the 413 arrives may see a broken
    // pipe instead of the response, which would make this test flaky.
    let head = format!(
        "POST /big HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        limit + 1
    );
    let response = raw(server.addr(), head.as_bytes()).await;
    assert_eq!(calls.count(), 1, "the handler ran for 2 MiB + 1");
    assert_eq!(raw_status(&response), 413, "{response}");
    assert!(response.contains("application/problem+json"), "{response}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_http_never_reaches_a_handler_or_hangs() {
    let (app, calls) = counted_app();
    let server = Server::start(app).await;
    let cases: [&[u8]; 3] = [
        b"GARBAGE\r\n\r\n",
        b"GET /hello/x HTTP/1.1\r\nhost: x\r\nbad header line\r\n\r\n",
        b"POST /items HTTP/1.1\r\nhost: x\r\ncontent-length: nope\r\n\r\n",
    ];
    for case in cases {
        let response = raw(server.addr(), case).await;
        let case = String::from_utf8_lossy(case);
        assert_eq!(calls.count(), 0, "a handler ran for {case:?}");
        let status = raw_status(&response);
        assert!((400..500).contains(&status), "{case:?} -> {response}");
    }
    // Invalid UTF-8 after percent-decoding is a 422 on the path parameter.
    let response = raw(
        server.addr(),
        b"GET /hello/%FF HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(calls.count(), 0, "the handler ran for /hello/%FF");
    assert_eq!(raw_status(&response), 422, "{response}");
    assert!(response.contains("path.name"));
    // The same request, well-formed, does reach it.
    let response = raw(
        server.addr(),
        b"GET /hello/x HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(raw_status(&response), 200, "{response}");
    assert_eq!(calls.count(), 1);
    server.stop().await;
}

/// Too many header fields are refused before routing with a 431 and no body, as the document
/// says (`#/components/responses/HeadersTooLarge`); no handler runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_header_fields_are_431_without_a_body_as_documented() {
    let document = counted_app().0.openapi().unwrap();
    let (app, calls) = counted_app();
    let component = &document["components"]["responses"]["HeadersTooLarge"];
    assert!(component["description"].is_string());
    assert!(component.get("content").is_none(), "{component}");
    let server = Server::start(app).await;
    let mut request = b"GET /hello/x HTTP/1.1\r\nhost: x\r\n".to_vec();
    for n in 0..200 {
        request.extend_from_slice(format!("x-field-{n}: {n}\r\n").as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    let response = raw(server.addr(), &request).await;
    assert_eq!(raw_status(&response), 431, "{response}");
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("");
    assert!(body.is_empty(), "{response}");
    assert_eq!(calls.count(), 0);
    server.stop().await;
}

/// Always panics.
#[get("/panic")]
async fn panics() -> &'static str {
    panic!("handler bug")
}

/// Always panics, on the blocking pool.
#[get("/sync/panic")]
fn sync_panics() -> &'static str {
    panic!("handler bug")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_is_a_500_and_the_server_lives_on() {
    let server = Server::start(App::new().routes(routes![panics, sync_panics])).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        for path in ["/panic", "/sync/panic", "/panic"] {
            let problem = client.get(path).await.problem(500);
            assert!(
                !problem.to_string().contains("handler bug"),
                "panic text leaked"
            );
        }
    }
    server.stop().await;
}

/// Holds a blocking thread until released (or until the test ends and drops the sender).
#[get("/sync/hold")]
fn hold(gate: State<std::sync::Mutex<std::sync::mpsc::Receiver<()>>>) -> &'static str {
    let receiver = gate.lock().unwrap();
    let _ = receiver.recv();
    "released"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_blocking_queue_answers_503_at_once() {
    let (release, gate) = std::sync::mpsc::channel::<()>();
    let app = App::new()
        .blocking_threads(1)
        .blocking_queue(1)
        .state(std::sync::Mutex::new(gate))
        .routes(routes![hold]);
    let server = Server::start(app).await;
    let client = Client::new(&server, oxapi_tests::Version::Http1);
    // The pool has one thread and room for one waiting call; send enough to overflow both.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let client = client.clone();
        tasks.spawn(async move { client.get("/sync/hold").await });
    }
    // Refusals answer while the holder still holds: it is released only after the first
    // one, so a refusal that waited for room would never come.
    let mut refused = None;
    let mut ok = 0;
    let all = async {
        while let Some(reply) = tasks.join_next().await {
            let reply = reply.unwrap();
            match reply.status.as_u16() {
                200 => ok += 1,
                503 => {
                    assert_eq!(reply.header("retry-after"), Some("1"));
                    if refused.is_none() {
                        for _ in 0..6 {
                            let _ = release.send(());
                        }
                    }
                    refused = Some(reply.problem(503));
                }
                other => panic!("unexpected {other}: {}", reply.text()),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(15), all)
        .await
        .unwrap_or_else(|_| panic!("no 503 came while the pool was full: refusals waited"));
    assert!(ok >= 1);
    let problem = refused.expect("some requests were refused with 503");
    assert_eq!(problem["type"], "urn:oxapi:problem:overloaded");
    server.stop().await;
}
