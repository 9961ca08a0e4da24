//! tower middleware over real sockets: tower-http's layers unchanged, a user-written layer,
//! `from_fn` middleware, `Extension` and `MatchedPath`, on the app (around routing) and on
//! routes (after routing), over HTTP/1.1 and h2c.

use std::io::{Read as _, Write as _};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use http::Method;
use oxapi::middleware::{Next, from_fn};
use oxapi::prelude::*;
use oxapi::{MatchedPath, Router};
use oxapi_tests::{Client, Server, VERSIONS};
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

/// An item.
#[model]
struct Item {
    name: String,
}

/// Read one item.
#[get("/items/{id}")]
async fn read_item(id: u32) -> String {
    format!("item {id}")
}

/// Create an item.
#[post("/items")]
async fn create_item(body: Json<Item>) -> String {
    format!("created {}", body.0.name)
}

/// A long text, worth compressing.
#[get("/long")]
async fn long() -> String {
    "compress me please ".repeat(200)
}

/// Never answers: only a timeout ends it.
#[get("/forever")]
async fn forever() -> &'static str {
    std::future::pending::<()>().await;
    "never"
}

/// The route template and the value the middleware handed over.
#[get("/whoami/{name}")]
async fn whoami(
    name: String,
    matched: MatchedPath,
    Extension(caller): Extension<Caller>,
) -> String {
    format!("{name} at {} by {}", matched.as_str(), caller.0)
}

/// What a `from_fn` middleware puts in the request.
#[derive(Debug, Clone)]
struct Caller(String);

async fn each_version(app: impl Fn() -> App, check: impl AsyncFn(&Client)) {
    for version in VERSIONS {
        let server = Server::start(app()).await;
        let client = Client::new(&server, version);
        check(&client).await;
        server.stop().await;
    }
}

#[tokio::test]
async fn cors_answers_preflight_for_every_route_and_404() {
    let app = || {
        App::new()
            .routes(routes![read_item, create_item])
            .layer(CorsLayer::permissive())
    };
    each_version(app, async |client| {
        for path in ["/items", "/items/7", "/no-such-route"] {
            let reply = client
                .send(
                    Method::OPTIONS,
                    path,
                    &[
                        ("origin", "https://example.com"),
                        ("access-control-request-method", "POST"),
                    ],
                    "",
                )
                .await;
            assert_eq!(reply.status, 200, "preflight {path}: {}", reply.text());
            assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
            assert!(
                reply.header("access-control-allow-methods").is_some(),
                "{path}"
            );
        }
        let reply = client
            .send(
                Method::GET,
                "/items/7",
                &[("origin", "https://example.com")],
                "",
            )
            .await;
        assert_eq!(reply.text(), "item 7");
        assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    })
    .await;
}

#[tokio::test]
async fn compression_negotiates_gzip_and_br() {
    let app = || {
        App::new()
            .routes(routes![long])
            .layer(CompressionLayer::new())
    };
    each_version(app, async |client| {
        let plain = client.get("/long").await;
        assert_eq!(plain.header("content-encoding"), None);
        assert_eq!(plain.text(), "compress me please ".repeat(200));

        let gzip = client
            .send(Method::GET, "/long", &[("accept-encoding", "gzip")], "")
            .await;
        assert_eq!(gzip.header("content-encoding"), Some("gzip"));
        assert!(gzip.body.len() < plain.body.len() / 4);
        let mut text = String::new();
        flate2::read::GzDecoder::new(&gzip.body[..])
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, plain.text());

        let br = client
            .send(
                Method::GET,
                "/long",
                &[("accept-encoding", "br;q=1, gzip;q=0.5")],
                "",
            )
            .await;
        assert_eq!(br.header("content-encoding"), Some("br"));
        assert!(br.body.len() < plain.body.len() / 4);
    })
    .await;
}

#[tokio::test]
async fn request_decompression_hands_routes_a_new_body_type() {
    let app = || {
        App::new()
            .routes(routes![create_item])
            .layer(RequestDecompressionLayer::new())
    };
    each_version(app, async |client| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(br#"{"name":"zipped"}"#).unwrap();
        let body = encoder.finish().unwrap();
        let reply = client
            .send(
                Method::POST,
                "/items",
                &[
                    ("content-type", "application/json"),
                    ("content-encoding", "gzip"),
                ],
                body,
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.text(), "created zipped");
    })
    .await;
}

#[tokio::test]
async fn trace_layer_sees_every_request_and_route_layers_see_the_template() {
    // The app-wide trace layer runs before routing: it sees the 404 too, but no template.
    // The route layer runs after routing: it sees the template, and never a 404.
    let app_seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let route_seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let app = {
        let app_seen = Arc::clone(&app_seen);
        let route_seen = Arc::clone(&route_seen);
        move || {
            let app_seen = Arc::clone(&app_seen);
            let route_seen = Arc::clone(&route_seen);
            App::new()
                .routes(routes![read_item])
                .layer(TraceLayer::new_for_http().on_request(
                    move |request: &http::Request<oxapi::Body>, _: &tracing::Span| {
                        let template = request.extensions().get::<MatchedPath>();
                        app_seen.lock().unwrap().push(format!(
                            "{} {:?}",
                            request.uri().path(),
                            template.map(MatchedPath::as_str)
                        ));
                    },
                ))
                .route_layer(TraceLayer::new_for_http().on_request(
                    move |request: &http::Request<oxapi::Body>, _: &tracing::Span| {
                        let template = request.extensions().get::<MatchedPath>();
                        route_seen.lock().unwrap().push(format!(
                            "{} {:?}",
                            request.uri().path(),
                            template.map(MatchedPath::as_str)
                        ));
                    },
                ))
        }
    };
    each_version(app, async |client| {
        assert_eq!(client.get("/items/3").await.text(), "item 3");
        client.get("/nowhere").await.problem(404);
        client
            .send(Method::DELETE, "/items/3", &[], "")
            .await
            .problem(405);
    })
    .await;
    let expected_app = ["/items/3 None", "/nowhere None", "/items/3 None"];
    let expected_route = ["/items/3 Some(\"/items/{id}\")"];
    assert_eq!(
        *app_seen.lock().unwrap(),
        [expected_app, expected_app].concat()
    );
    assert_eq!(
        *route_seen.lock().unwrap(),
        [expected_route, expected_route].concat()
    );
}

#[tokio::test]
async fn tower_http_timeout_answers_408_and_tower_timeout_504() {
    let http_timeout = || {
        App::new().routes(routes![forever, read_item]).layer(
            tower_http::timeout::TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                Duration::from_millis(50),
            ),
        )
    };
    each_version(http_timeout, async |client| {
        assert_eq!(client.get("/forever").await.status, 408);
        assert_eq!(client.get("/items/1").await.text(), "item 1");
    })
    .await;
    // tower's own timeout fails with an error; the default layer error handler makes it a 504.
    let tower_timeout = || {
        App::new()
            .routes(routes![forever])
            .layer(tower::timeout::TimeoutLayer::new(Duration::from_millis(50)))
    };
    each_version(tower_timeout, async |client| {
        client.get("/forever").await.problem(504);
    })
    .await;
}

/// Numbers requests from 1.
#[derive(Debug, Clone, Default)]
struct Counter(Arc<AtomicUsize>);

impl MakeRequestId for Counter {
    fn make_request_id<B>(&mut self, _: &http::Request<B>) -> Option<RequestId> {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        Some(RequestId::new(n.to_string().parse().unwrap()))
    }
}

#[tokio::test]
async fn request_ids_are_set_and_propagated() {
    let app = || {
        App::new()
            .routes(routes![read_item])
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(SetRequestIdLayer::x_request_id(Counter::default()))
    };
    each_version(app, async |client| {
        let first = client.get("/items/1").await;
        assert_eq!(first.header("x-request-id"), Some("1"));
        let given = client
            .send(Method::GET, "/items/1", &[("x-request-id", "abc-123")], "")
            .await;
        assert_eq!(given.header("x-request-id"), Some("abc-123"));
        let missing = client.get("/missing").await;
        assert_eq!(missing.header("x-request-id"), Some("2"));
    })
    .await;
}

/// A user-written layer: counts requests and stamps responses.
#[derive(Debug, Clone)]
struct Stamp {
    count: Arc<AtomicUsize>,
}

impl<S> tower_layer::Layer<S> for Stamp {
    type Service = StampService<S>;
    fn layer(&self, inner: S) -> StampService<S> {
        StampService {
            inner,
            count: Arc::clone(&self.count),
        }
    }
}

#[derive(Debug, Clone)]
struct StampService<S> {
    inner: S,
    count: Arc<AtomicUsize>,
}

impl<S, B> tower_service::Service<http::Request<B>> for StampService<S>
where
    S: tower_service::Service<http::Request<B>, Response = oxapi::Response>,
    S::Future: Send + 'static,
{
    type Response = oxapi::Response;
    type Error = S::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<oxapi::Response, S::Error>> + Send>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        let future = self.inner.call(request);
        Box::pin(async move {
            let mut response = future.await?;
            response
                .headers_mut()
                .insert("x-stamp", n.to_string().parse().unwrap());
            Ok(response)
        })
    }
}

#[tokio::test]
async fn a_user_layer_on_a_router_wraps_only_its_routes() {
    let count = Arc::new(AtomicUsize::new(0));
    let app = {
        let count = Arc::clone(&count);
        move || {
            App::new().routes(routes![long]).router(
                Router::new()
                    .prefix("/stamped")
                    .routes(routes![read_item])
                    .layer(Stamp {
                        count: Arc::clone(&count),
                    }),
            )
        }
    };
    each_version(app, async |client| {
        let stamped = client.get("/stamped/items/9").await;
        assert_eq!(stamped.text(), "item 9");
        assert!(stamped.header("x-stamp").is_some());
        assert_eq!(client.get("/long").await.header("x-stamp"), None);
        assert_eq!(client.get("/stamped/nothing").await.header("x-stamp"), None);
    })
    .await;
    assert_eq!(
        count.load(Ordering::SeqCst),
        2,
        "one stamped request per version"
    );
}

/// FastAPI's `@app.middleware("http")`: looks at the request, hands a value to the handler,
/// changes the response, and can answer by itself.
async fn gatekeeper(mut request: oxapi::Request, next: Next) -> oxapi::Response {
    let Some(caller) = request
        .headers()
        .get("x-caller")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
    else {
        return ApiError::unauthorized("say who you are").into_response();
    };
    request.extensions_mut().insert(Caller(caller));
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert("x-gatekeeper", "passed".parse().unwrap());
    response
}

#[tokio::test]
async fn from_fn_middleware_sees_the_request_and_changes_the_response() {
    let app = || {
        App::new()
            .routes(routes![whoami])
            .layer(from_fn(gatekeeper))
    };
    each_version(app, async |client| {
        let reply = client
            .send(Method::GET, "/whoami/ada", &[("x-caller", "bob")], "")
            .await;
        assert_eq!(reply.text(), "ada at /whoami/{name} by bob");
        assert_eq!(reply.header("x-gatekeeper"), Some("passed"));
        client.get("/whoami/ada").await.problem(401);
    })
    .await;
}

#[tokio::test]
async fn a_missing_extension_is_a_500_not_a_panic() {
    let app = || App::new().routes(routes![whoami]);
    each_version(app, async |client| {
        client.get("/whoami/ada").await.problem(500);
    })
    .await;
}

#[tokio::test]
async fn matched_path_includes_router_prefixes() {
    let app = || {
        App::new()
            .router(
                Router::new()
                    .prefix("/v1")
                    .nest(Router::new().prefix("/people").routes(routes![whoami])),
            )
            .layer(from_fn(gatekeeper))
    };
    each_version(app, async |client| {
        let reply = client
            .send(
                Method::GET,
                "/v1/people/whoami/ada",
                &[("x-caller", "c")],
                "",
            )
            .await;
        assert_eq!(reply.text(), "ada at /v1/people/whoami/{name} by c");
    })
    .await;
}
