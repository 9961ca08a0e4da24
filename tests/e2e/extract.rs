//! Every kind of parameter, extracted from real requests.

use std::sync::Arc;

use http::Method;
use http::request::Parts;
use oxapi::prelude::*;
use oxapi::{FromRequestParts, RequestContext};
use oxapi_tests::{Calls, Client, Server, VERSIONS};
use serde_json::json;

/// A colour, parsed from its lowercase name.
#[model]
#[serde(rename_all = "lowercase")]
enum Color {
    Red,
    Green,
}

/// Filters of a search.
#[model]
struct Search {
    /// Text to find.
    q: String,
    /// Tags, repeated: `tag=a&tag=b`.
    #[serde(default)]
    tag: Vec<String>,
}

/// A login form.
#[model]
struct Login {
    #[validate(length(min = 3))]
    user: String,
    remember: Option<bool>,
}

/// An order with lines.
#[model]
struct Order {
    #[validate(nested)]
    items: Vec<Line>,
}

/// One line of an order.
#[model]
struct Line {
    #[validate(range(min = 1))]
    quantity: u32,
    #[validate(range(min = 0.0))]
    price: f64,
}

#[get("/typed/{id}/{color}/{flag}")]
async fn typed(
    calls: State<Arc<Calls>>,
    id: uuid::Uuid,
    color: Color,
    flag: bool,
) -> Json<serde_json::Value> {
    calls.add();
    Json(json!({"id": id.to_string(), "color": color, "flag": flag}))
}

#[get("/files/{*rest}")]
async fn files(rest: String) -> String {
    rest
}

#[get("/search")]
async fn search(
    calls: State<Arc<Calls>>,
    query: Query<Search>,
    #[query] limit: Option<u32>,
    #[query("page-size")] page_size: Option<u8>,
) -> Json<serde_json::Value> {
    calls.add();
    Json(json!({"q": query.q, "tag": query.tag, "limit": limit, "page_size": page_size}))
}

#[get("/headers")]
async fn headers(
    calls: State<Arc<Calls>>,
    #[header] x_request_id: String,
    #[header("x-count")] count: Option<u8>,
    #[cookie] session: Option<String>,
    all: HeaderMap,
    method: oxapi::Method,
    uri: oxapi::Uri,
) -> Json<serde_json::Value> {
    calls.add();
    Json(json!({
        "request_id": x_request_id,
        "count": count,
        "session": session,
        "user_agent_present": all.contains_key("x-request-id"),
        "method": method.as_str(),
        "path": uri.path(),
    }))
}

#[post("/login")]
async fn login(calls: State<Arc<Calls>>, form: Form<Login>) -> String {
    calls.add();
    format!("{} {:?}", form.user, form.remember)
}

#[post("/order")]
fn order(calls: State<Arc<Calls>>, order: Json<Order>) -> String {
    calls.add();
    let total: f64 = order
        .items
        .iter()
        .map(|line| f64::from(line.quantity) * line.price)
        .sum();
    format!("{total}")
}

#[post("/text")]
async fn text(calls: State<Arc<Calls>>, body: String) -> String {
    calls.add();
    body.to_uppercase()
}

#[post("/maybe")]
async fn maybe(calls: State<Arc<Calls>>, body: Option<Json<Line>>) -> String {
    calls.add();
    match body {
        Some(line) => format!("line of {}", line.quantity),
        None => "no body".to_owned(),
    }
}

/// The caller, from a bearer token: a user-defined extractor with its own rejection.
struct Caller(String);

impl FromRequestParts for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, ApiError> {
        // Async work, and access to state, like a database lookup.
        oxapi::tokio::task::yield_now().await;
        let tokens = ctx
            .state::<Tokens>()
            .ok_or_else(|| ApiError::internal(std::io::Error::other("no tokens")))?;
        let token = parts
            .headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| ApiError::unauthorized("missing bearer token"))?;
        tokens
            .0
            .iter()
            .find(|(known, _)| *known == token)
            .map(|(_, user)| Caller((*user).to_owned()))
            .ok_or_else(|| ApiError::forbidden("unknown token"))
    }
}

/// Known tokens and their users.
struct Tokens(Vec<(&'static str, &'static str)>);

#[get("/me")]
async fn me(caller: Caller, counter: State<Counter>) -> String {
    let n = counter
        .0
        .0
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    format!("{} #{n}", caller.0)
}

#[derive(Default)]
struct Counter(std::sync::atomic::AtomicU64);

/// A gate a handler waits at, and word that it has begun waiting.
#[derive(Default)]
struct Gate {
    entered: oxapi::tokio::sync::Notify,
    open: oxapi::tokio::sync::Notify,
}

/// Says it is in, then awaits `/release`.
#[get("/wait")]
async fn wait(gate: State<Arc<Gate>>) -> &'static str {
    gate.entered.notify_one();
    gate.open.notified().await;
    "released"
}

/// Opens the gate `/wait` awaits.
#[post("/release")]
async fn release(gate: State<Arc<Gate>>) -> NoContent {
    gate.open.notify_one();
    NoContent
}

#[route(method = "PURGE", path = "/cache")]
async fn purge() -> &'static str {
    "purged"
}

fn app() -> (App, Arc<Calls>) {
    let calls = Arc::new(Calls::default());
    let app = App::new()
        .state(Arc::clone(&calls))
        .state(Tokens(vec![("t0k3n", "ada")]))
        .state(Counter::default())
        .routes(routes![
            typed, files, search, headers, login, order, text, maybe, me, purge
        ]);
    (app, calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_parameters_of_any_deserializable_type() {
    let (app, calls) = app();
    let server = Server::start(app).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let id = "67e55044-10b1-426f-9247-bb680e5fe0c8";
        let reply = calls
            .served(client.get(&format!("/typed/{id}/green/true")))
            .await;
        assert_eq!(
            reply.json(),
            json!({"id": id, "color": "green", "flag": true})
        );
        // Every bad segment is reported at once.
        let problem = calls
            .refused(client.get("/typed/not-a-uuid/blue/maybe"))
            .await
            .problem(422);
        let locations = oxapi_tests::locations(&problem);
        assert_eq!(locations, ["path.id", "path.color", "path.flag"]);
        assert!(
            problem["errors"][1]["message"]
                .as_str()
                .unwrap()
                .contains("unknown variant `blue`")
        );

        assert_eq!(client.get("/files/a/b/c.txt").await.text(), "a/b/c.txt");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_structs_and_scalars() {
    let (app, calls) = app();
    let server = Server::start(app).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let reply = calls
            .served(client.get("/search?q=pen%20s&tag=a&tag=b&limit=5&page-size=9"))
            .await;
        assert_eq!(
            reply.json(),
            json!({"q": "pen s", "tag": ["a", "b"], "limit": 5, "page_size": 9})
        );
        let reply = calls.served(client.get("/search?q=x")).await;
        assert_eq!(
            reply.json(),
            json!({"q": "x", "tag": [], "limit": null, "page_size": null})
        );
        // A missing field, an unparsable scalar and an out-of-range one: all three listed.
        let problem = calls
            .refused(client.get("/search?limit=x&page-size=300"))
            .await
            .problem(422);
        let locations = oxapi_tests::locations(&problem);
        assert_eq!(locations, ["query.q", "query.limit", "query.page-size"]);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_cookies_method_and_uri() {
    let (app, calls) = app();
    let server = Server::start(app).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let reply = calls
            .served(client.send(
                Method::GET,
                "/headers?x=1",
                &[
                    ("x-request-id", "r-1"),
                    ("x-count", "3"),
                    ("cookie", "a=b; session=s3"),
                ],
                "",
            ))
            .await;
        assert_eq!(
            reply.json(),
            json!({"request_id": "r-1", "count": 3, "session": "s3", "user_agent_present": true, "method": "GET", "path": "/headers"})
        );
        let problem = calls
            .refused(client.send(Method::GET, "/headers", &[("x-count", "many")], ""))
            .await
            .problem(422);
        let locations = oxapi_tests::locations(&problem);
        assert_eq!(locations, ["header.x-request-id", "header.x-count"]);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_text_and_optional_bodies() {
    let (app, calls) = app();
    let server = Server::start(app).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let form = [("content-type", "application/x-www-form-urlencoded")];
        let reply = calls
            .served(client.send(Method::POST, "/login", &form, "user=ada&remember=true"))
            .await;
        assert_eq!(reply.text(), "ada Some(true)");
        let problem = calls
            .refused(client.send(Method::POST, "/login", &form, "user=al"))
            .await
            .problem(422);
        assert_eq!(problem["errors"][0]["location"], "body.user");
        let json = [("content-type", "application/json")];
        calls
            .refused(client.send(Method::POST, "/login", &json, "{}"))
            .await
            .problem(415);

        let reply = calls
            .served(client.send(Method::POST, "/text", &[], "shout"))
            .await;
        assert_eq!(reply.text(), "SHOUT");
        let problem = calls
            .refused(client.send(Method::POST, "/text", &[], vec![0xff, 0xfe]))
            .await
            .problem(400);
        assert!(problem["detail"].as_str().unwrap().contains("UTF-8"));

        let reply = calls
            .served(client.send(Method::POST, "/maybe", &[], ""))
            .await;
        assert_eq!(reply.text(), "no body");
        let reply = calls
            .served(client.post_json("/maybe", r#"{"quantity":2,"price":1}"#))
            .await;
        assert_eq!(reply.text(), "line of 2");
        calls
            .refused(client.post_json("/maybe", "{"))
            .await
            .problem(400);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_validation_names_the_element() {
    let (app, calls) = app();
    let server = Server::start(app).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let reply = calls
            .served(client.post_json(
                "/order",
                r#"{"items":[{"quantity":2,"price":1.5},{"quantity":1,"price":2}]}"#,
            ))
            .await;
        assert_eq!(reply.text(), "5");
        let problem = calls
            .refused(client.post_json(
                "/order",
                r#"{"items":[{"quantity":1,"price":1},{"quantity":0,"price":1},{"quantity":1,"price":-2}]}"#,
            ))
            .await
            .problem(422);
        let locations = oxapi_tests::locations(&problem);
        assert_eq!(locations, ["body.items[1].quantity", "body.items[2].price"]);
        let problem = calls
            .refused(client.post_json(
                "/order",
                r#"{"items":[{"quantity":1,"price":1},{"quantity":1,"price":"x"}]}"#,
            ))
            .await
            .problem(422);
        assert_eq!(problem["errors"][0]["location"], "body.items[1].price");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_defined_extractors_and_state() {
    let (app, _) = app();
    let server = Server::start(app).await;
    let token = [("authorization", "Bearer t0k3n")];
    let mut calls = 0;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let reply = client.send(Method::GET, "/me", &token, "").await;
        // `me` numbers its calls: the first is #0.
        assert_eq!(reply.text(), format!("ada #{calls}"));
        calls += 1;
        let problem = client.get("/me").await.problem(401);
        assert_eq!(problem["detail"], "missing bearer token");
        client
            .send(Method::GET, "/me", &[("authorization", "Bearer nope")], "")
            .await
            .problem(403);
        // The refused requests did not reach `me`.
        let reply = client.send(Method::GET, "/me", &token, "").await;
        assert_eq!(reply.text(), format!("ada #{calls}"));
        calls += 1;
    }
    server.stop().await;
}

/// The server runs on one event-loop thread, so `/release` can be served while `/wait` is
/// pending only if `/wait` truly awaits: were its waiting to block the thread, `/release`
/// would never be read and `/wait` never released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_awaiting_handler_leaves_the_event_loop_free() {
    let gate = Arc::new(Gate::default());
    let app = App::new()
        .state(Arc::clone(&gate))
        .routes(routes![wait, release]);
    let server = Server::start_on_one_thread(app).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let both = async {
            let waiting = {
                let client = client.clone();
                tokio::spawn(async move { client.get("/wait").await })
            };
            // `/wait` is inside its handler, waiting, before `/release` is sent.
            gate.entered.notified().await;
            let reply = client.send(Method::POST, "/release", &[], "").await;
            assert_eq!(reply.status, 204);
            let reply = waiting.await.unwrap();
            assert_eq!(reply.status, 200);
            assert_eq!(reply.text(), "released");
        };
        tokio::time::timeout(std::time::Duration::from_secs(15), both)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{version:?}: /release was not served while /wait waited: \
                     the waiting handler held the event loop"
                )
            });
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_methods_route() {
    let (app, _) = app();
    let server = Server::start(app).await;
    let client = Client::new(&server, oxapi_tests::Version::Http1);
    let purge = Method::from_bytes(b"PURGE").unwrap();
    assert_eq!(client.send(purge, "/cache", &[], "").await.text(), "purged");
    let reply = client.get("/cache").await;
    reply.problem(405);
    assert_eq!(reply.header("allow"), Some("PURGE"));
    server.stop().await;
}

#[test]
fn missing_state_and_conflicts_fail_at_build_with_every_error() {
    let errors = App::new()
        .routes(routes![me, purge, purge, files])
        .routes(routes![files])
        .check()
        .unwrap_err();
    let text = errors.to_string();
    assert!(text.contains("takes `State<"), "{text}");
    assert!(text.contains("Counter"), "{text}");
    assert!(
        text.contains("two routes have the same method and path"),
        "{text}"
    );
    assert!(text.contains("purge"), "{text}");
    assert!(text.contains("operation id `files`"), "{text}");
}
