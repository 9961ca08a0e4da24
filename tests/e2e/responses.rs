//! Every response type, as the client sees it.

use oxapi::prelude::*;
use oxapi_tests::{Client, Server, VERSIONS};
use serde_json::json;

/// A created thing.
#[model]
struct Thing {
    id: u32,
}

#[get("/r/json")]
async fn r_json() -> Json<Thing> {
    Json(Thing { id: 1 })
}

#[get("/r/string")]
async fn r_string() -> String {
    "owned".to_owned()
}

#[get("/r/str")]
async fn r_str() -> &'static str {
    "static"
}

#[get("/r/bytes")]
async fn r_bytes() -> Bytes {
    Bytes::from_static(&[0, 1, 2])
}

#[get("/r/html")]
async fn r_html() -> Html<&'static str> {
    Html("<h1>hi</h1>")
}

#[get("/r/status")]
async fn r_status() -> StatusCode {
    StatusCode::ACCEPTED
}

#[get("/r/status-tuple")]
async fn r_status_tuple() -> (StatusCode, Json<Thing>) {
    (StatusCode::ACCEPTED, Json(Thing { id: 2 }))
}

#[get("/r/headers")]
async fn r_headers() -> ([(&'static str, &'static str); 2], &'static str) {
    (
        [("x-one", "1"), ("cache-control", "no-store")],
        "with headers",
    )
}

#[get("/r/header-map")]
async fn r_header_map() -> (StatusCode, HeaderMap, String) {
    let mut headers = HeaderMap::new();
    headers.insert("x-map", "yes".parse().unwrap());
    (StatusCode::IM_A_TEAPOT, headers, "teapot".to_owned())
}

#[get("/r/result/{ok}")]
async fn r_result(ok: bool) -> Result<Json<Thing>, ApiError> {
    if ok {
        Ok(Json(Thing { id: 3 }))
    } else {
        Err(ApiError::conflict("already there"))
    }
}

#[post("/r/created")]
async fn r_created() -> Created<Thing> {
    Created(Thing { id: 4 })
}

#[delete("/r/no-content")]
async fn r_no_content() -> NoContent {
    NoContent
}

#[get("/r/redirect")]
async fn r_redirect() -> Redirect {
    Redirect::to("/r/json")
}

#[post("/r/status-option", status = 202)]
fn r_status_option() -> Json<Thing> {
    Json(Thing { id: 5 })
}

/// A domain error with its own statuses.
#[derive(Debug)]
enum ShopError {
    SoldOut,
    Broken,
}

impl HttpError for ShopError {
    fn status(&self) -> StatusCode {
        match self {
            Self::SoldOut => StatusCode::CONFLICT,
            Self::Broken => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn problem(&self) -> Problem {
        match self {
            Self::SoldOut => Problem::new(self.status())
                .with_type("urn:shop:sold-out")
                .with_detail("sold out"),
            Self::Broken => Problem::new(self.status()),
        }
    }
}

#[get("/r/domain/{which}")]
async fn r_domain(which: u8) -> Result<&'static str, ShopError> {
    match which {
        0 => Err(ShopError::SoldOut),
        1 => Err(ShopError::Broken),
        _ => Ok("fine"),
    }
}

#[get("/r/unit")]
async fn r_unit() {}

fn app() -> App {
    App::new().routes(routes![
        r_json,
        r_string,
        r_str,
        r_bytes,
        r_html,
        r_status,
        r_status_tuple,
        r_headers,
        r_header_map,
        r_result,
        r_created,
        r_no_content,
        r_redirect,
        r_status_option,
        r_domain,
        r_unit,
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_type() {
    let server = Server::start(app()).await;
    for version in VERSIONS {
        let c = Client::new(&server, version);
        let r = c.get("/r/json").await;
        assert_eq!(
            (r.status.as_u16(), r.header("content-type")),
            (200, Some("application/json"))
        );
        assert_eq!(r.json(), json!({"id": 1}));

        let r = c.get("/r/string").await;
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
        assert_eq!(r.text(), "owned");
        assert_eq!(c.get("/r/str").await.text(), "static");

        let r = c.get("/r/bytes").await;
        assert_eq!(r.header("content-type"), Some("application/octet-stream"));
        assert_eq!(&r.body[..], &[0, 1, 2]);

        let r = c.get("/r/html").await;
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(r.text(), "<h1>hi</h1>");

        let r = c.get("/r/status").await;
        assert_eq!(r.status, 202);
        assert!(r.body.is_empty());

        let r = c.get("/r/status-tuple").await;
        assert_eq!((r.status.as_u16(), r.json()), (202, json!({"id": 2})));

        let r = c.get("/r/headers").await;
        assert_eq!(r.header("x-one"), Some("1"));
        assert_eq!(r.header("cache-control"), Some("no-store"));

        let r = c.get("/r/header-map").await;
        assert_eq!((r.status.as_u16(), r.header("x-map")), (418, Some("yes")));

        assert_eq!(c.get("/r/result/true").await.json(), json!({"id": 3}));
        let problem = c.get("/r/result/false").await.problem(409);
        assert_eq!(problem["detail"], "already there");

        let r = c.send(http::Method::POST, "/r/created", &[], "").await;
        assert_eq!((r.status.as_u16(), r.json()), (201, json!({"id": 4})));

        let r = c.send(http::Method::DELETE, "/r/no-content", &[], "").await;
        assert_eq!(r.status, 204);
        assert!(r.body.is_empty());

        let r = c.get("/r/redirect").await;
        assert_eq!(
            (r.status.as_u16(), r.header("location")),
            (303, Some("/r/json"))
        );

        let r = c
            .send(http::Method::POST, "/r/status-option", &[], "")
            .await;
        assert_eq!((r.status.as_u16(), r.json()), (202, json!({"id": 5})));

        let problem = c.get("/r/domain/0").await.problem(409);
        assert_eq!(problem["type"], "urn:shop:sold-out");
        c.get("/r/domain/1").await.problem(500);
        assert_eq!(c.get("/r/domain/2").await.text(), "fine");

        let r = c.get("/r/unit").await;
        assert_eq!(r.status, 200);
        assert!(r.body.is_empty());
    }
    server.stop().await;
}

/// Runs on a runtime without an I/O driver: opening any socket there panics.
#[test]
fn the_test_client_needs_no_socket() {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime without I/O")
        .block_on(test_client_requests());
}

async fn test_client_requests() {
    let client = app().test_client();
    let r = client.get("/r/json").send().await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>(), json!({"id": 1}));
    let r = client.post("/r/created").send().await;
    assert_eq!(r.status(), 201);
    let r = client.head("/r/json").send().await;
    assert_eq!(r.status(), 200);
    assert!(r.bytes().is_empty());
    assert_eq!(r.header("content-length"), Some("8"));

    let hello = hello::app().test_client();
    let r = hello
        .post("/items")
        .json(&json!({"name": "pen", "price": 2.0}))
        .send()
        .await;
    assert_eq!(r.status(), 201);
    let r = hello.get("/items").query(&[("limit", "2")]).send().await;
    assert_eq!(r.json::<Vec<serde_json::Value>>().len(), 2);
    let r = hello.get("/items").query(&[("limit", "0")]).send().await;
    assert_eq!(r.status(), 422);
    let r = hello
        .post("/items")
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await;
    assert_eq!(r.status(), 400);
    let r = hello.get("/sync/hello/x").send().await;
    assert!(r.header("x-thread").unwrap().starts_with("oxapi-blocking-"));
}
