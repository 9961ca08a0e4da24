//! App-wide error handling over real sockets: a FastAPI-shaped 422, a plain-text 404, a user
//! error type mapped once for the whole app, an unmapped error kept from the client, and the
//! document following what the app sends.

use oxapi::prelude::*;
use oxapi::{FrameworkError, FrameworkErrorReport, Method};
use oxapi_tests::{Client, Server, VERSIONS};
use serde_json::json;

/// The body of a FastAPI validation error.
#[model]
struct HttpValidationError {
    detail: Vec<ValidationError>,
}

/// One invalid input, as FastAPI lists it.
#[model]
struct ValidationError {
    loc: Vec<String>,
    msg: String,
    #[serde(rename = "type")]
    kind: String,
}

fn fastapi_422(report: &FrameworkErrorReport) -> Json<HttpValidationError> {
    let detail = report.errors().iter().map(|error| ValidationError {
        loc: error.location.split('.').map(str::to_owned).collect(),
        msg: error.message.clone(),
        kind: error.code.to_string(),
    });
    Json(HttpValidationError {
        detail: detail.collect(),
    })
}

/// An item the shop has run out of: the app's own error type.
#[derive(Debug)]
struct OutOfStock {
    item: String,
}

impl std::fmt::Display for OutOfStock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is out of stock", self.item)
    }
}

impl std::error::Error for OutOfStock {}

/// What the app answers for [`OutOfStock`].
#[model]
struct OutOfStockBody {
    error: String,
    item: String,
}

/// An order.
#[model]
struct Order {
    #[validate(length(min = 1))]
    item: String,
    #[validate(range(min = 1, max = 100))]
    quantity: u32,
}

/// Place an order (async: on the event loop).
#[post("/orders")]
async fn order(order: Json<Order>) -> Result<Json<Order>, oxapi::Error> {
    match order.0.item.as_str() {
        "pen" => Err(OutOfStock { item: "pen".into() })?,
        // An error the app maps to nothing, with text the client must not see.
        "disk" => Err(std::io::Error::other("disk /dev/sda1 failed at sector 7"))?,
        _ => Ok(order),
    }
}

/// Stock of an item in a warehouse (plain fn: on the blocking pool).
#[get("/stock/{id}")]
fn stock(id: u32, #[query] warehouse: u8) -> Result<String, oxapi::Error> {
    if id == 7 {
        Err(OutOfStock {
            item: format!("item {id}"),
        })?;
    }
    Ok(format!("item {id} in warehouse {warehouse}"))
}

fn app() -> App {
    App::new()
        .routes(routes![order, stock])
        .framework_error_handler(&[FrameworkError::Validation], fastapi_422)
        .framework_error_handler(
            &[FrameworkError::NotFound],
            |report: &FrameworkErrorReport| {
                format!("Not Found: {}", report.detail().unwrap_or_default())
            },
        )
        .error_handler(StatusCode::CONFLICT, |error: &OutOfStock| {
            Json(OutOfStockBody {
                error: error.to_string(),
                item: error.item.clone(),
            })
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_errors_are_rendered_fastapi_style_listing_every_bad_field() {
    let server = Server::start(app()).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);

        let reply = client.get("/stock/x?warehouse=999").await;
        assert_eq!(reply.status, 422, "{version:?}: {}", reply.text());
        assert_eq!(reply.header("content-type"), Some("application/json"));
        let body = reply.json();
        assert_eq!(
            body["detail"]
                .as_array()
                .unwrap()
                .iter()
                .map(|error| error["loc"].clone())
                .collect::<Vec<_>>(),
            [json!(["path", "id"]), json!(["query", "warehouse"])],
            "{body}"
        );
        assert!(body["detail"][0]["msg"].is_string(), "{body}");
        assert!(body["detail"][1]["type"].is_string(), "{body}");
        assert!(body.get("type").is_none(), "no problem member: {body}");

        let reply = client
            .post_json("/orders", r#"{"item": "", "quantity": 1000}"#)
            .await;
        assert_eq!(reply.status, 422, "{}", reply.text());
        let locations: Vec<_> = reply.json()["detail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|error| error["loc"].clone())
            .collect();
        assert!(
            locations.contains(&json!(["body", "item"])),
            "{locations:?}"
        );
        assert!(
            locations.contains(&json!(["body", "quantity"])),
            "{locations:?}"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_get_the_apps_plain_text_404_and_other_errors_stay_problems() {
    let server = Server::start(app()).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let reply = client.get("/nowhere").await;
        assert_eq!(reply.status, 404);
        assert_eq!(
            reply.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(reply.text(), "Not Found: no route matches /nowhere");

        // No renderer for 405 or 415: problem details, as before.
        let reply = client.send(Method::DELETE, "/orders", &[], "").await;
        reply.problem(405);
        assert_eq!(reply.header("allow"), Some("POST"));
        let reply = client
            .send(
                Method::POST,
                "/orders",
                &[("content-type", "text/plain")],
                "pen",
            )
            .await;
        reply.problem(415);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_type_mapped_once_answers_for_async_and_plain_fn_routes() {
    let server = Server::start(app()).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let reply = client
            .post_json("/orders", r#"{"item": "pen", "quantity": 1}"#)
            .await;
        assert_eq!(reply.status, 409, "{}", reply.text());
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(
            reply.json(),
            json!({ "error": "pen is out of stock", "item": "pen" })
        );

        let reply = client.get("/stock/7?warehouse=1").await;
        assert_eq!(reply.status, 409, "{}", reply.text());
        assert_eq!(
            reply.json(),
            json!({ "error": "item 7 is out of stock", "item": "item 7" })
        );

        // Successes are untouched.
        let reply = client.get("/stock/8?warehouse=1").await;
        assert_eq!(
            (reply.status.as_u16(), reply.text()),
            (200, "item 8 in warehouse 1".into())
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmapped_error_is_a_500_that_says_nothing_of_it() {
    let server = Server::start(app()).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let reply = client
            .post_json("/orders", r#"{"item": "disk", "quantity": 1}"#)
            .await;
        let problem = reply.problem(500);
        assert_eq!(problem["type"], "urn:oxapi:problem:internal");
        for secret in ["sda1", "sector", "disk"] {
            assert!(!reply.text().contains(secret), "{}", reply.text());
        }
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_shows_what_the_app_sends() {
    let document = app().openapi().unwrap();
    let components = &document["components"];
    assert_eq!(
        components["responses"]["ValidationFailed"]["content"],
        json!({ "application/json": { "schema": { "$ref": "#/components/schemas/HttpValidationError" } } })
    );
    assert_eq!(
        components["responses"]["NotFound"]["content"],
        json!({ "text/plain": { "schema": { "type": "string" } } })
    );
    // The errors the app does not render are still problem details.
    assert_eq!(
        components["responses"]["MethodNotAllowed"],
        FrameworkError::MethodNotAllowed.response()
    );
    let detail = &components["schemas"]["HttpValidationError"]["properties"]["detail"];
    assert_eq!(
        detail["items"]["$ref"],
        "#/components/schemas/ValidationError"
    );

    // Both operations return `oxapi::Error`, so both document the mapping at its status.
    for (path, method) in [("/orders", "post"), ("/stock/{id}", "get")] {
        let responses = &document["paths"][path][method]["responses"];
        assert_eq!(
            responses["409"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/OutOfStockBody",
            "{path}"
        );
        assert_eq!(
            responses["422"]["$ref"], "#/components/responses/ValidationFailed",
            "{path}"
        );
    }

    // The served document is the same.
    let server = Server::start(app()).await;
    let served = Client::new(&server, VERSIONS[0]).get("/openapi.json").await;
    assert_eq!(served.json(), document);
    server.stop().await;
}
