//! Routers and dependencies over real sockets: prefixes, nesting, tags, router responses,
//! dependencies that reject and are documented, computed once per request, torn down after
//! the handler, overridden in tests; mounted services; conflicts between routers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use http::Method;
use http::request::Parts;
use oxapi::prelude::*;
use oxapi::{Depends, FromRequestParts, Outcome, RequestContext, Router, Teardown};
use oxapi_tests::{Client, Server, VERSIONS};

/// A valid API key, from the `x-api-key` header.
#[derive(Debug, Clone)]
struct ApiKey(String);

impl FromRequestParts for ApiKey {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, ApiError> {
        if let Some(calls) = ctx.state::<KeyChecks>() {
            calls.0.fetch_add(1, Ordering::SeqCst);
        }
        match parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
            Some("secret") => Ok(ApiKey("secret".to_owned())),
            Some(_) => Err(ApiError::forbidden("wrong key")),
            None => Err(ApiError::unauthorized("an API key is required")),
        }
    }

    fn describe(op: &mut oxapi::OperationDoc<'_>) {
        op.param::<String>(oxapi::ParamLocation::Header, "x-api-key", true);
    }
}

/// How often the key was checked.
#[derive(Debug, Default)]
struct KeyChecks(AtomicUsize);

/// List users.
#[get("/")]
async fn list_users() -> &'static str {
    "everyone"
}

/// Read a user; takes the key again, which must not check it twice.
#[get("/{id}")]
async fn read_user(id: u32, Depends(key): Depends<ApiKey>) -> String {
    format!("user {id} with {}", key.0)
}

/// Public health check.
#[get("/health")]
async fn health() -> &'static str {
    "ok"
}

fn users() -> Router {
    Router::new()
        .prefix("/users")
        .tag("users")
        .routes(routes![list_users, read_user])
}

fn api() -> App {
    App::new()
        .state(KeyChecks::default())
        .routes(routes![health])
        .router(
            Router::new()
                .prefix("/v1")
                .dependency::<ApiKey>()
                .response(401, "No API key")
                .response(403, "Wrong API key")
                .nest(users()),
        )
}

async fn each_version(app: impl Fn() -> App, check: impl AsyncFn(&Client)) {
    for version in VERSIONS {
        let server = Server::start(app()).await;
        let client = Client::new(&server, version);
        check(&client).await;
        server.stop().await;
    }
}

#[tokio::test]
async fn nested_routers_serve_under_their_prefixes_behind_their_dependency() {
    each_version(api, async |client| {
        let key = [("x-api-key", "secret")];
        let reply = client.send(Method::GET, "/v1/users/7", &key, "").await;
        assert_eq!(reply.text(), "user 7 with secret");
        let reply = client.send(Method::GET, "/v1/users/", &key, "").await;
        assert_eq!(reply.text(), "everyone");
        client.get("/v1/users/7").await.problem(401);
        client
            .send(Method::GET, "/v1/users/7", &[("x-api-key", "nope")], "")
            .await
            .problem(403);
        // Outside the router, no key is needed; and a router adds no route of its own.
        assert_eq!(client.get("/health").await.text(), "ok");
        client.get("/users/7").await.problem(404);
        client.get("/v1/other").await.problem(404);
    })
    .await;
}

#[tokio::test]
async fn a_dependency_is_computed_once_per_request() {
    // The router's dependency and the handler's two `Depends<CountedKey>` share one check.
    let counter = Arc::new(AtomicUsize::new(0));
    each_version(
        || counted_api(Arc::clone(&counter)),
        async |client| {
            for _ in 0..3 {
                assert_eq!(client.get("/v1/users/1").await.text(), "user 1");
            }
        },
    )
    .await;
    assert_eq!(counter.load(Ordering::SeqCst), 6, "one check per request");
}

/// A key check that counts into a shared counter.
#[derive(Debug, Clone)]
struct CountedKey;

/// Where `CountedKey` counts.
#[derive(Debug)]
struct CountInto(Arc<AtomicUsize>);

impl FromRequestParts for CountedKey {
    type Rejection = ApiError;

    async fn from_request_parts(
        _parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, ApiError> {
        if let Some(counter) = ctx.state::<CountInto>() {
            counter.0.fetch_add(1, Ordering::SeqCst);
        }
        Ok(CountedKey)
    }
}

/// Read a user, asking for the counted key twice.
#[get("/{id}")]
async fn read_user_counted(
    id: u32,
    _first: Depends<CountedKey>,
    _second: Depends<CountedKey>,
) -> String {
    format!("user {id}")
}

fn counted_api(counter: Arc<AtomicUsize>) -> App {
    App::new().state(CountInto(counter)).router(
        Router::new()
            .prefix("/v1/users")
            .dependency::<CountedKey>()
            .routes(routes![read_user_counted]),
    )
}

#[test]
fn the_document_shows_prefixed_paths_merged_tags_and_dependencies() {
    let document = api().openapi().unwrap();
    let paths = document["paths"].as_object().unwrap();
    let mut names: Vec<&String> = paths.keys().collect();
    names.sort();
    assert_eq!(names, ["/health", "/v1/users/", "/v1/users/{id}"]);
    for path in ["/v1/users/", "/v1/users/{id}"] {
        let op = &paths[path]["get"];
        assert_eq!(op["tags"], serde_json::json!(["users"]), "{path}");
        let key = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "x-api-key")
            .unwrap_or_else(|| panic!("{path} documents the key: {op}"));
        assert_eq!(key["in"], "header");
        assert_eq!(key["required"], true);
        assert_eq!(
            op["responses"]["401"]["description"], "No API key",
            "{path}"
        );
        assert_eq!(op["responses"]["403"]["description"], "Wrong API key");
    }
    // The key is documented once on the route that also takes it as a parameter.
    let read = paths["/v1/users/{id}"]["get"]["parameters"]
        .as_array()
        .unwrap();
    assert_eq!(read.iter().filter(|p| p["name"] == "x-api-key").count(), 1);
    let health = &paths["/health"]["get"];
    assert!(health.get("tags").is_none());
    assert!(health["responses"].get("401").is_none());
}

#[test]
fn conflicts_between_routers_name_both_routes() {
    let errors = App::new()
        .router(Router::new().prefix("/a").routes(routes![health]))
        .router(Router::new().prefix("/a").routes(routes![health_again]))
        .router(Router::new().prefix("bad/"))
        .check()
        .unwrap_err()
        .to_string();
    assert!(errors.contains("GET /a/health"), "{errors}");
    assert!(
        errors.contains("routers::health)") && errors.contains("routers::health_again)"),
        "{errors}"
    );
    assert!(errors.contains("router prefix `bad/`"), "{errors}");
}

/// The router's own path: `#[get("")]` stands for its prefix.
#[get("")]
async fn the_prefix_itself() -> &'static str {
    "the prefix"
}

#[tokio::test]
async fn an_empty_route_path_is_its_routers_prefix_and_refused_without_one() {
    let app = || {
        App::new().router(
            Router::new()
                .prefix("/v1/books")
                .routes(routes![the_prefix_itself]),
        )
    };
    each_version(app, async |client| {
        assert_eq!(client.get("/v1/books").await.text(), "the prefix");
        client.get("/v1/books/").await.problem(404);
    })
    .await;
    assert!(app().openapi().unwrap()["paths"].get("/v1/books").is_some());
    let errors = App::new()
        .routes(routes![the_prefix_itself])
        .check()
        .unwrap_err()
        .to_string();
    assert!(errors.contains("has an empty path"), "{errors}");
}

/// Another health check, at the same path.
#[get("/health", operation_id = "health_again")]
async fn health_again() -> &'static str {
    "again"
}

/// What the teardowns did, in order.
#[derive(Debug, Default)]
struct Journal(Mutex<Vec<String>>);

#[tokio::test]
async fn teardown_outcomes_follow_the_handler() {
    let journal = Arc::new(Journal::default());
    each_version(
        || {
            App::new()
                .state(SharedJournal(Arc::clone(&journal)))
                .dependency_with_teardown::<JournalTx>()
                .routes(routes![tx_write, tx_sync_write])
        },
        async |client| {
            assert_eq!(client.post_json("/tx/ok", "").await.text(), "done");
            client.post_json("/tx/fail", "").await.problem(409);
            client.post_json("/tx/panic", "").await.problem(500);
            assert_eq!(client.post_json("/sync-tx", "").await.text(), "done");
            // A rejected request never began a transaction.
            client.post_json("/tx/", "").await.problem(404);
        },
    )
    .await;
    let entries = journal.0.lock().unwrap().clone();
    let one = [
        "begin",
        "write ok",
        "commit 200",
        "begin",
        "write fail",
        "rollback 409",
        "begin",
        "write panic",
        "rollback 500",
        "begin",
        "write sync",
        "commit 200",
    ];
    assert_eq!(entries, [one, one].concat());
}

/// The app's journal, shared with the test.
#[derive(Debug)]
struct SharedJournal(Arc<Journal>);

/// A transaction writing to the test's journal.
#[derive(Debug, Clone)]
struct JournalTx(Arc<Journal>);

impl JournalTx {
    fn log(&self, entry: String) {
        self.0.0.lock().unwrap().push(entry);
    }
}

impl FromRequestParts for JournalTx {
    type Rejection = ApiError;

    async fn from_request_parts(
        _parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, ApiError> {
        let shared = ctx
            .state::<SharedJournal>()
            .ok_or_else(|| ApiError::internal("no journal"))?;
        let tx = JournalTx(Arc::clone(&shared.0));
        tx.log("begin".to_owned());
        Ok(tx)
    }
}

impl Teardown for JournalTx {
    async fn teardown(self, outcome: Outcome) -> Result<(), oxapi::Response> {
        let word = if outcome.is_success() {
            "commit"
        } else {
            "rollback"
        };
        self.log(format!("{word} {}", outcome.status().as_u16()));
        Ok(())
    }
}

/// Writes, then succeeds, fails or panics.
#[post("/tx/{how}")]
async fn tx_write(how: String, Depends(tx): Depends<JournalTx>) -> Result<&'static str, ApiError> {
    tx.log(format!("write {how}"));
    match how.as_str() {
        "ok" => Ok("done"),
        "panic" => panic!("handler failed"),
        _ => Err(ApiError::conflict("refused")),
    }
}

/// Writes from a plain fn on the blocking pool.
#[post("/sync-tx")]
fn tx_sync_write(Depends(tx): Depends<JournalTx>) -> &'static str {
    tx.log("write sync".to_owned());
    "done"
}

/// A user as a test wants it.
#[derive(Debug, Clone)]
struct TestUser;

impl From<TestUser> for ApiKey {
    fn from(_: TestUser) -> Self {
        ApiKey("test-key".to_owned())
    }
}

impl FromRequestParts for TestUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        _parts: &mut Parts,
        _ctx: &RequestContext<'_>,
    ) -> Result<Self, Self::Rejection> {
        Ok(TestUser)
    }
}

#[tokio::test]
async fn overrides_replace_a_dependency_everywhere_it_is_used() {
    each_version(
        || api().override_dependency::<ApiKey, TestUser>(),
        async |client| {
            // No key sent: the override answers for the router's dependency and the handler's.
            assert_eq!(
                client.get("/v1/users/3").await.text(),
                "user 3 with test-key"
            );
        },
    )
    .await;
    each_version(
        || api().override_dependency_value(ApiKey("fixed".to_owned())),
        async |client| {
            assert_eq!(client.get("/v1/users/3").await.text(), "user 3 with fixed");
        },
    )
    .await;
}

#[tokio::test]
async fn a_mounted_service_sees_the_path_below_its_prefix() {
    let dir = std::env::temp_dir().join(format!("oxapi-mount-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("css")).unwrap();
    std::fs::write(dir.join("css/site.css"), "body {}").unwrap();
    std::fs::write(dir.join("index.html"), "<h1>home</h1>").unwrap();
    let app = {
        let dir = dir.clone();
        move || {
            App::new()
                .routes(routes![health])
                .mount("/static", tower_http::services::ServeDir::new(&dir))
                .mount(
                    "/echo",
                    tower::service_fn(|request: oxapi::Request| async move {
                        Ok::<_, std::convert::Infallible>(
                            format!(
                                "{} {}",
                                request.method(),
                                request.uri().path_and_query().map_or("", |p| p.as_str())
                            )
                            .into_response(),
                        )
                    }),
                )
        }
    };
    each_version(app, async |client| {
        let css = client.get("/static/css/site.css").await;
        assert_eq!(css.text(), "body {}");
        assert_eq!(css.header("content-type"), Some("text/css"));
        assert_eq!(
            client.get("/static/index.html").await.text(),
            "<h1>home</h1>"
        );
        assert_eq!(client.get("/static/missing.css").await.status, 404);
        assert_eq!(client.get("/static/../Cargo.toml").await.status, 404);
        assert_eq!(client.get("/echo/a/b?c=1").await.text(), "GET /a/b?c=1");
        assert_eq!(client.get("/echo").await.text(), "GET /");
        let put = client.send(Method::PUT, "/echo/x", &[], "").await;
        assert_eq!(put.text(), "PUT /x");
        assert_eq!(client.get("/health").await.text(), "ok");
    })
    .await;
    let document = App::new()
        .routes(routes![health])
        .mount("/static", tower_http::services::ServeDir::new(&dir))
        .openapi()
        .unwrap();
    assert_eq!(
        document["paths"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["/health"]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn app_dependencies_leave_the_docs_pages_open() {
    let app = || {
        App::new()
            .state(KeyChecks::default())
            .dependency::<ApiKey>()
            .routes(routes![health])
    };
    each_version(app, async |client| {
        client.get("/health").await.problem(401);
        assert_eq!(client.get("/openapi.json").await.status, 200);
        assert_eq!(client.get("/docs").await.status, 200);
    })
    .await;
}

#[tokio::test]
async fn an_app_mounts_as_a_sub_application() {
    let app = || {
        let admin = App::new().routes(routes![health]).into_service().unwrap();
        App::new()
            .routes(routes![list_users])
            .mount("/admin", admin)
    };
    each_version(app, async |client| {
        assert_eq!(client.get("/admin/health").await.text(), "ok");
        // The sub-application's own 404 and document.
        client.get("/admin/missing").await.problem(404);
        let document = client.get("/admin/openapi.json").await.json();
        assert!(document["paths"]["/health"].is_object());
        assert_eq!(client.get("/").await.text(), "everyone");
    })
    .await;
}

#[test]
fn an_app_with_hooks_cannot_become_a_service() {
    let Err(errors) = App::new()
        .routes(routes![health])
        .on_startup(|| async {})
        .into_service()
    else {
        panic!("an app with a startup hook became a service");
    };
    assert!(
        errors.to_string().contains("startup or shutdown hooks"),
        "{errors}"
    );
}
