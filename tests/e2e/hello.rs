//! Every behaviour of `examples/hello`, over HTTP/1.1 and HTTP/2.

use std::sync::Arc;
use std::time::Duration;

use http::Method;
use oxapi::prelude::*;
use oxapi::tokio::sync::Barrier;
use oxapi_tests::{Client, Server, VERSIONS};
use serde_json::json;

async fn each_version(check: impl AsyncFn(&Client)) {
    let server = Server::start(hello::app()).await;
    for version in VERSIONS {
        check(&Client::new(&server, version)).await;
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_greets_by_name() {
    each_version(async |client| {
        let reply = client.get("/hello/Ada").await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.json(), json!({"message": "Hello, Ada!"}));
        // Percent-encoded segments are decoded.
        let reply = client.get("/hello/J%C3%BCrgen%20K").await;
        assert_eq!(reply.json(), json!({"message": "Hello, Jürgen K!"}));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_hello_runs_on_the_blocking_pool() {
    each_version(async |client| {
        let reply = client.get("/sync/hello/Bob").await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json(), json!({"message": "Hello, Bob!"}));
        let thread = reply.header("x-thread").expect("x-thread header");
        assert!(thread.starts_with("oxapi-blocking-"), "ran on {thread}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_item_and_its_not_found() {
    each_version(async |client| {
        let reply = client.get("/items/42").await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json(), json!({"id": 42, "name": "item 42"}));
        let problem = client.get("/items/0").await.problem(404);
        assert_eq!(problem["detail"], "item 0 does not exist");
        let problem = client.get("/items/minus-one").await.problem(422);
        assert_eq!(problem["errors"][0]["location"], "path.id");
        let problem = client.get("/items/18446744073709551616").await.problem(422);
        assert!(
            problem["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("out of range")
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_items_pages_with_bounds() {
    each_version(async |client| {
        let items = client.get("/items").await.json();
        assert_eq!(items.as_array().unwrap().len(), 10, "limit defaults to 10");
        assert_eq!(items[0]["id"], 1, "offset defaults to 0");
        let items = client.get("/items?limit=3&offset=5").await.json();
        assert_eq!(
            items,
            json!([{"id": 6, "name": "item 6"}, {"id": 7, "name": "item 7"}, {"id": 8, "name": "item 8"}])
        );
        assert_eq!(client.get("/items?limit=100").await.json().as_array().unwrap().len(), 100);
        // The last page ends at the last id instead of overflowing (found by schemathesis).
        let items = client.get("/items?limit=3&offset=18446744073709551613").await.json();
        assert_eq!(items.as_array().unwrap().len(), 2);
        assert_eq!(items[1]["id"], u64::MAX);
        for bad in ["limit=0", "limit=101", "limit=ten", "offset=-1"] {
            let problem = client.get(&format!("/items?{bad}")).await.problem(422);
            let field = bad.split('=').next().unwrap();
            assert_eq!(problem["errors"][0]["location"], format!("query.{field}"), "{bad}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_item_validates_and_answers_201() {
    each_version(async |client| {
        let reply = client
            .post_json("/items", r#"{"name":"pen","price":1.5}"#)
            .await;
        assert_eq!(reply.status, 201);
        let item = reply.json();
        assert!(item["id"].as_u64().unwrap() >= 1);
        assert_eq!(item["name"], "pen");
        assert_eq!(item["price"], 1.5);

        let name = "x".repeat(50);
        let reply = client
            .post_json("/items", &format!(r#"{{"name":"{name}","price":0}}"#))
            .await;
        assert_eq!(reply.status, 201, "50 characters and price 0 are allowed");
        let id = reply.json()["id"].as_u64().unwrap();

        // Every failing field is listed.
        let problem = client
            .post_json(
                "/items",
                &format!(r#"{{"name":"{}","price":-1}}"#, "x".repeat(51)),
            )
            .await
            .problem(422);
        let locations = oxapi_tests::locations(&problem);
        assert_eq!(locations, ["body.name", "body.price"]);
        // Characters, not bytes: 50 two-byte characters are fine.
        let reply = client
            .post_json(
                "/items",
                &format!(r#"{{"name":"{}","price":1}}"#, "é".repeat(50)),
            )
            .await;
        assert_eq!(reply.status, 201);
        // Ids count create_item's calls: the refused body did not reach it.
        assert_eq!(reply.json()["id"], id + 1);
    })
    .await;
}

/// How many requests `slow_answers_ok_under_concurrency` keeps in flight at once.
const IN_FLIGHT: usize = 20;

/// Like `/slow`, an answer that awaits before it comes; its wait ends only once `IN_FLIGHT`
/// requests are inside it at once.
#[get("/slow/together")]
async fn slow_together(all_in: State<Arc<Barrier>>) -> &'static str {
    all_in.wait().await;
    "ok"
}

/// `IN_FLIGHT` awaiting requests are served side by side: served one at a time, the first
/// would wait for the others forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answers_ok_under_concurrency() {
    let app = hello::app()
        .state(Arc::new(Barrier::new(IN_FLIGHT)))
        .routes(routes![slow_together]);
    let server = Server::start(app).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let slow = client.get("/slow").await;
        assert_eq!(slow.status, 200);
        assert_eq!(
            slow.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(slow.text(), "ok");

        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..IN_FLIGHT {
            let client = client.clone();
            tasks.spawn(async move { client.get("/slow/together").await });
        }
        let all = async {
            while let Some(reply) = tasks.join_next().await {
                let reply = reply.unwrap();
                assert_eq!(reply.status, 200, "{}", reply.text());
                assert_eq!(reply.header("content-type"), slow.header("content-type"));
                assert_eq!(reply.text(), "ok");
            }
        };
        tokio::time::timeout(Duration::from_secs(15), all)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{version:?}: the {IN_FLIGHT} requests were never all in flight at once: \
                     served one at a time?"
                )
            });
    }
    server.stop().await;
}

/// `path` with each parameter filled with `7`: a fine name and a fine id.
fn filled(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "7"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_answers_every_get_route_without_a_body() {
    let app = hello::app();
    let mut paths: Vec<String> = app
        .route_defs()
        .iter()
        .filter(|route| route.method == "GET")
        .map(|route| filled(route.path))
        .collect();
    assert!(paths.contains(&"/hello/7".to_owned()), "{paths:?}");
    // The document and the docs pages the app serves besides its own routes.
    paths.extend(["/openapi.json", "/docs", "/scalar"].map(str::to_owned));
    let server = Server::start(app).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        for path in &paths {
            let get = client.get(path).await;
            assert_eq!(get.status, 200, "{version:?} GET {path}: {}", get.text());
            assert!(!get.body.is_empty(), "{version:?} GET {path}");
            let head = client.send(Method::HEAD, path, &[], "").await;
            assert_eq!(head.status, 200, "{version:?} HEAD {path}");
            assert!(head.body.is_empty(), "{version:?} HEAD {path}");
            assert_eq!(
                head.header("content-type"),
                get.header("content-type"),
                "{version:?} HEAD {path}"
            );
            assert_eq!(
                head.header("content-length"),
                Some(get.body.len().to_string().as_str()),
                "{version:?} HEAD {path}"
            );
        }
    }
    server.stop().await;
}
