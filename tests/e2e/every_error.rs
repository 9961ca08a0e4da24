//! A request with several bad inputs gets one 422 listing every failing location, at the
//! names on the wire, as pydantic lists them.

use std::collections::HashMap;
use std::sync::Arc;

use http::Method;
use oxapi::prelude::*;
use oxapi_tests::{Calls, Client, Server, VERSIONS};
use serde_json::{Value, json};

/// A product, as a JSON or form body.
#[model]
struct Product {
    #[validate(length(min = 1, max = 50))]
    name: String,
    price: f64,
}

/// A page of results, from the query string.
#[model]
struct Page {
    limit: u32,
    offset: u32,
    exact: Option<bool>,
}

/// A signup, its fields renamed on the wire.
#[model]
#[serde(rename_all = "camelCase")]
struct Signup {
    #[validate(length(min = 3))]
    user_name: String,
    /// Renamed to another word.
    #[serde(rename = "mail")]
    #[validate(length(min = 3))]
    email_address: String,
    #[validate(nested)]
    home_address: Address,
}

/// An address, its fields renamed on the wire.
#[model]
#[serde(rename_all = "camelCase")]
struct Address {
    #[validate(length(equal = 5))]
    zip_code: String,
}

#[post("/products")]
async fn create(calls: State<Arc<Calls>>, product: Json<Product>) -> String {
    calls.add();
    product.0.name
}

#[post("/products/form")]
async fn create_from_form(calls: State<Arc<Calls>>, product: Form<Product>) -> String {
    calls.add();
    product.0.name
}

#[get("/products")]
async fn list(calls: State<Arc<Calls>>, page: Query<Page>) -> String {
    calls.add();
    format!("{} {} {:?}", page.limit, page.offset, page.exact)
}

#[post("/signup")]
async fn signup(calls: State<Arc<Calls>>, body: Json<Signup>) -> String {
    calls.add();
    body.0.user_name
}

#[post("/stock")]
async fn stock(calls: State<Arc<Calls>>, body: Json<HashMap<i64, u32>>) -> String {
    calls.add();
    body.0.values().sum::<u32>().to_string()
}

fn app() -> (App, Arc<Calls>) {
    let calls = Arc::new(Calls::default());
    let app = App::new().state(Arc::clone(&calls)).routes(routes![
        create,
        create_from_form,
        list,
        signup,
        stock
    ]);
    (app, calls)
}

/// One `errors` entry.
fn error(location: &str, code: &str, message: &str) -> Value {
    json!({"location": location, "code": code, "message": message})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_body_reports_every_failing_field_at_once() {
    let (app, calls) = app();
    let server = Server::start(app).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let cases = [
            (
                r#"{"name": 5, "price": "x"}"#,
                json!([
                    error("body.name", "type", "expected a string, got the number 5"),
                    error(
                        "body.price",
                        "type",
                        r#"expected a number, got the string "x""#
                    ),
                ]),
            ),
            (
                "{}",
                json!([
                    error("body.name", "missing", "field required"),
                    error("body.price", "missing", "field required"),
                ]),
            ),
            (
                "[]",
                json!([error("body", "type", "expected an object, got an array")]),
            ),
            // A rule the schema states, beside a type error: both.
            (
                r#"{"name": "", "price": "x"}"#,
                json!([
                    error("body.name", "length", "length must be between 1 and 50"),
                    error(
                        "body.price",
                        "type",
                        r#"expected a number, got the string "x""#
                    ),
                ]),
            ),
        ];
        for (body, errors) in cases {
            let problem = calls
                .refused(client.post_json("/products", body))
                .await
                .problem(422);
            assert_eq!(problem["errors"], errors, "{body}");
        }
        let reply = calls
            .served(client.post_json("/products", r#"{"name": "pen", "price": 1.5}"#))
            .await;
        assert_eq!(reply.text(), "pen");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_bodies_and_query_strings_report_every_failing_field() {
    let (app, calls) = app();
    let server = Server::start(app).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let form = [("content-type", "application/x-www-form-urlencoded")];
        let problem = calls
            .refused(client.send(Method::POST, "/products/form", &form, "name=&price=cheap"))
            .await
            .problem(422);
        assert_eq!(
            problem["errors"],
            json!([
                error("body.name", "length", "length must be between 1 and 50"),
                error(
                    "body.price",
                    "type",
                    r#"expected a number, got the string "cheap""#
                ),
            ])
        );
        let reply = calls
            .served(client.send(Method::POST, "/products/form", &form, "name=pen&price=2"))
            .await;
        assert_eq!(reply.text(), "pen");

        let problem = calls
            .refused(client.get("/products?limit=many&exact=maybe"))
            .await
            .problem(422);
        assert_eq!(
            problem["errors"],
            json!([
                error(
                    "query.limit",
                    "type",
                    r#"expected an integer, got the string "many""#
                ),
                error("query.offset", "missing", "field required"),
                error(
                    "query.exact",
                    "type",
                    r#"expected a boolean or null, got the string "maybe""#
                ),
            ])
        );
        let reply = calls
            .served(client.get("/products?limit=5&offset=0&exact=true"))
            .await;
        assert_eq!(reply.text(), "5 0 Some(true)");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_errors_name_fields_as_the_wire_does() {
    let (app, calls) = app();
    let server = Server::start(app).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let body = r#"{"userName": "al", "mail": "x", "homeAddress": {"zipCode": "123"}}"#;
        let problem = calls
            .refused(client.post_json("/signup", body))
            .await
            .problem(422);
        assert_eq!(
            oxapi_tests::locations(&problem),
            ["body.mail", "body.homeAddress.zipCode", "body.userName"]
        );
        // A type error in the nested model is at the wire name too.
        let body = r#"{"userName": "ada", "mail": "a@b", "homeAddress": {"zipCode": 12345}}"#;
        let problem = calls
            .refused(client.post_json("/signup", body))
            .await
            .problem(422);
        assert_eq!(
            problem["errors"],
            json!([error(
                "body.homeAddress.zipCode",
                "type",
                "expected a string, got the number 12345"
            )])
        );
        let body = r#"{"userName": "ada", "mail": "a@b", "homeAddress": {"zipCode": "12345"}}"#;
        let reply = calls.served(client.post_json("/signup", body)).await;
        assert_eq!(reply.text(), "ada");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_map_key_is_422_at_the_key() {
    let (app, calls) = app();
    let server = Server::start(app).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let problem = calls
            .refused(client.post_json("/stock", r#"{"1": 2, "foo": 1}"#))
            .await
            .problem(422);
        assert_eq!(
            problem["errors"],
            json!([error(
                "body.foo",
                "key",
                "`foo` is not a valid key: expected an integer"
            )])
        );
        let reply = calls
            .served(client.post_json("/stock", r#"{"1": 2, "-7": 3}"#))
            .await;
        assert_eq!(reply.text(), "5");
    }
    server.stop().await;
}
