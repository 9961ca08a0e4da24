//! The OpenAPI document: what it says of each operation, how it is served, and that each
//! example's checked-in copy matches what the code generates.

use std::path::{Path, PathBuf};

use http::Method;
use oxapi::FrameworkError;
use oxapi::prelude::*;
use oxapi_tests::{Client, Server, Version};
use serde_json::{Value, json};

/// The examples whose `openapi.json` is checked in, with their apps.
fn examples() -> Vec<(&'static str, App)> {
    vec![
        ("hello", hello::app()),
        ("bookshop", bookshop::app()),
        (
            "todo",
            todo::app(todo::Config::new(todo::DatabaseConfig::in_memory())),
        ),
    ]
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is inside the workspace")
        .to_owned()
}

/// The drift check: each example's `openapi.json` is what its code generates.
#[test]
fn checked_in_documents_match_the_code() {
    let mut stale = Vec::new();
    for (name, app) in examples() {
        let path = workspace_root()
            .join("examples")
            .join(name)
            .join("openapi.json");
        let generated =
            serde_json::to_string_pretty(&app.openapi().expect("the app builds")).unwrap() + "\n";
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        if generated != checked_in {
            let diff = similar::TextDiff::from_lines(&checked_in, &generated)
                .unified_diff()
                .context_radius(3)
                .header("checked in", "generated")
                .to_string();
            stale.push(format!(
                "examples/{name}/openapi.json is out of date:\n{diff}\nrefresh it with:\n  cargo run -q -p {name} -- openapi > examples/{name}/openapi.json\n"
            ));
        }
    }
    assert!(stale.is_empty(), "\n{}", stale.join("\n"));
}

/// A product.
#[model]
struct Product {
    /// The product's code.
    #[validate(length(min = 3, max = 8))]
    code: String,
    /// Units in stock.
    #[validate(range(min = 0, max = 1000))]
    stock: u32,
    /// A label, if any.
    label: Option<String>,
}

/// Search filters.
#[model]
struct Filters {
    /// Text to search for.
    q: String,
    /// Only products with at least this stock.
    #[serde(default)]
    min_stock: u32,
}

/// A shop error with documented statuses.
#[derive(Debug)]
enum ShopError {
    Missing,
}

impl HttpError for ShopError {
    fn status(&self) -> StatusCode {
        StatusCode::NOT_FOUND
    }

    fn describe(op: &mut oxapi::OperationDoc<'_>) {
        op.problem_response(404, "No such product.");
    }
}

/// Read a product.
///
/// Looks the product up by its code.
/// Second line of the description.
#[get("/products/{code}", tags = ["products"])]
async fn read_product(
    code: String,
    #[header("x-tenant")] tenant: Option<String>,
) -> Result<Json<Product>, ShopError> {
    let _ = tenant;
    if code == "none" {
        return Err(ShopError::Missing);
    }
    Ok(Json(Product {
        code,
        stock: 1,
        label: None,
    }))
}

/// Search products.
#[get("/products", tags = ["products"], operation_id = "searchProducts")]
fn search(
    filters: Query<Filters>,
    #[query] limit: Option<u8>,
    #[cookie] session: Option<String>,
) -> Json<Vec<Product>> {
    let _ = (filters, limit, session);
    Json(Vec::new())
}

/// Add a product.
#[post("/products", tags = ["products"], status = 201, responses(409 = "The code is taken."))]
async fn add(product: Json<Product>) -> Json<Product> {
    product
}

/// Delete a product.
#[deprecated = "products are archived, not deleted"]
#[delete("/products/{code}", tags = ["products"])]
async fn remove(code: String) -> NoContent {
    let _ = code;
    NoContent
}

/// An error whose type documents a status the framework also uses.
#[derive(Debug)]
enum StockError {
    Discontinued,
}

impl HttpError for StockError {
    fn status(&self) -> StatusCode {
        StatusCode::UNPROCESSABLE_ENTITY
    }

    fn describe(op: &mut oxapi::OperationDoc<'_>) {
        op.problem_response(422, "The product is discontinued.");
    }
}

/// Restock a product.
#[put("/products/{code}/stock", tags = ["products"], responses(500 = "The warehouse is unreachable."))]
async fn restock(code: String, stock: Json<u32>) -> Result<NoContent, StockError> {
    let _ = (code, stock);
    Err(StockError::Discontinued)
}

/// An internal probe.
#[get("/internal/probe", hidden)]
async fn probe() -> &'static str {
    "ok"
}

fn shop() -> App {
    App::new()
        .title("Shop")
        .version("2.1.0")
        .description("Sells products.")
        .tag("products", "The catalogue.")
        .server("https://shop.example", "Production")
        .contact(oxapi::ContactInfo {
            name: Some("Shop team".into()),
            url: None,
            email: Some("shop@example.com".into()),
        })
        .license(oxapi::LicenseInfo {
            name: "MIT".into(),
            url: None,
            identifier: Some("MIT".into()),
        })
        .routes(routes![read_product, search, add, remove, restock, probe])
}

#[test]
fn operations_are_complete() {
    let doc = shop().openapi().unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "Shop");
    assert_eq!(doc["info"]["version"], "2.1.0");
    assert_eq!(doc["info"]["description"], "Sells products.");
    assert_eq!(doc["info"]["contact"]["email"], "shop@example.com");
    assert_eq!(doc["info"]["license"]["identifier"], "MIT");
    assert_eq!(
        doc["servers"],
        json!([{"url": "https://shop.example", "description": "Production"}])
    );
    assert_eq!(
        doc["tags"],
        json!([{"name": "products", "description": "The catalogue."}])
    );

    let read = &doc["paths"]["/products/{code}"]["get"];
    assert_eq!(read["operationId"], "read_product");
    assert_eq!(read["summary"], "Read a product.");
    assert_eq!(
        read["description"],
        "Looks the product up by its code.\nSecond line of the description."
    );
    assert_eq!(read["tags"], json!(["products"]));
    assert_eq!(read["x-oxapi-dispatch"], "event-loop");
    assert_eq!(
        read["parameters"][0],
        json!({"name": "code", "in": "path", "required": true, "schema": {"type": "string"}})
    );
    assert_eq!(read["parameters"][1]["name"], "x-tenant");
    assert_eq!(read["parameters"][1]["in"], "header");
    assert_eq!(read["parameters"][1]["required"], false);
    let statuses: Vec<&String> = read["responses"].as_object().unwrap().keys().collect();
    assert_eq!(statuses, ["200", "404", "422", "500"]);
    assert_eq!(read["responses"]["404"]["description"], "No such product.");
    assert_eq!(
        read["responses"]["404"]["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );

    let search = &doc["paths"]["/products"]["get"];
    assert_eq!(search["operationId"], "searchProducts");
    assert_eq!(search["x-oxapi-dispatch"], "blocking-pool");
    let params: Vec<(String, String, bool)> = search["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["in"].as_str().unwrap().to_owned(),
                p["required"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        params,
        [
            ("q".to_owned(), "query".to_owned(), true),
            ("min_stock".to_owned(), "query".to_owned(), false),
            ("limit".to_owned(), "query".to_owned(), false),
            ("session".to_owned(), "cookie".to_owned(), false),
        ]
    );
    assert_eq!(
        search["parameters"][0]["description"],
        "Text to search for."
    );
    assert!(
        search["responses"]["503"].is_object(),
        "plain-fn routes can answer 503"
    );

    let add = &doc["paths"]["/products"]["post"];
    assert_eq!(add["requestBody"]["required"], true);
    assert_eq!(
        add["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Product"
    );
    let statuses: Vec<&String> = add["responses"].as_object().unwrap().keys().collect();
    assert_eq!(statuses, ["201", "400", "409", "413", "415", "422", "500"]);

    let remove = &doc["paths"]["/products/{code}"]["delete"];
    assert_eq!(remove["deprecated"], true);
    assert!(remove["responses"]["204"].is_object());

    assert!(
        doc["paths"].get("/internal/probe").is_none(),
        "hidden operations are left out"
    );
    assert!(doc["paths"].get("/openapi.json").is_none());
    assert!(doc["paths"].get("/docs").is_none());
}

/// A status both the operation and the framework document is one response: the operation's
/// description, and `anyOf` both problem schemas, since either body can be sent.
#[test]
fn the_operations_own_description_of_a_framework_status_is_kept_and_merged() {
    let doc = shop().openapi().unwrap();
    let restock = &doc["paths"]["/products/{code}/stock"]["put"];
    for (status, description, error) in [
        (
            "500",
            "The warehouse is unreachable.",
            FrameworkError::Internal,
        ),
        (
            "422",
            "The product is discontinued.",
            FrameworkError::Validation,
        ),
    ] {
        let response = &restock["responses"][status];
        assert_eq!(response["description"], description, "{status}");
        assert_eq!(
            response["content"]["application/problem+json"]["schema"]["anyOf"],
            json!([
                {"$ref": "#/components/schemas/Problem"},
                error.schema(),
            ]),
            "{status}"
        );
    }
    // Statuses only the framework documents stay references.
    assert_eq!(
        restock["responses"]["415"]["$ref"],
        "#/components/responses/UnsupportedMediaType"
    );
}

/// What the server sends for each framework error is what the document's component says:
/// the problem `type`, title and status are `const`s of its schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn framework_errors_are_sent_as_their_components_document_them() {
    let doc = shop().openapi().unwrap();
    let server = Server::start(shop()).await;
    let client = Client::new(&server, Version::Http1);
    let replies = [
        (FrameworkError::NotFound, client.get("/nowhere").await),
        (
            FrameworkError::MethodNotAllowed,
            client.send(Method::PATCH, "/products", &[], "").await,
        ),
        (
            FrameworkError::Validation,
            client.post_json("/products", "{}").await,
        ),
        (
            FrameworkError::Malformed,
            client.post_json("/products", "{").await,
        ),
        (
            FrameworkError::UnsupportedMediaType,
            client
                .send(
                    Method::POST,
                    "/products",
                    &[("content-type", "text/plain")],
                    "x",
                )
                .await,
        ),
    ];
    for (error, reply) in replies {
        let spec = error.spec();
        let component = &doc["components"]["responses"][spec.component];
        let schema = &component["content"]["application/problem+json"]["schema"];
        let problem = reply.problem(spec.status);
        for member in ["type", "title", "status"] {
            assert_eq!(
                problem[member], schema["properties"][member]["const"],
                "{error:?} {member}"
            );
        }
        for header in component["headers"].as_object().into_iter().flatten() {
            assert!(reply.header(header.0).is_some(), "{error:?} {}", header.0);
        }
    }
    server.stop().await;
}

#[test]
fn validation_rules_are_in_the_schema() {
    let doc = shop().openapi().unwrap();
    let product = &doc["components"]["schemas"]["Product"];
    assert_eq!(product["description"], "A product.");
    assert_eq!(product["properties"]["code"]["minLength"], 3);
    assert_eq!(product["properties"]["code"]["maxLength"], 8);
    assert_eq!(
        product["properties"]["code"]["description"],
        "The product's code."
    );
    assert_eq!(product["properties"]["stock"]["maximum"], 1000);
    assert_eq!(product["required"], json!(["code", "stock"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_rules_are_enforced_as_documented() {
    let server = Server::start(shop()).await;
    let client = Client::new(&server, Version::Http1);
    let problem = client
        .post_json("/products", r#"{"code":"ab","stock":1001}"#)
        .await
        .problem(422);
    assert_eq!(
        oxapi_tests::locations(&problem),
        ["body.code", "body.stock"]
    );
    assert_eq!(
        client
            .post_json("/products", r#"{"code":"abc","stock":1000}"#)
            .await
            .status,
        201
    );
    server.stop().await;
}

/// Every `$ref` of the document resolves, and no response range (`4XX`) stands in for the
/// real statuses.
#[test]
fn references_resolve_and_statuses_are_exact() {
    for (_, app) in examples().into_iter().chain([("shop", shop())]) {
        let doc = app.openapi().unwrap();
        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        assert!(!refs.is_empty());
        for reference in refs {
            let pointer = reference.strip_prefix('#').unwrap();
            assert!(doc.pointer(pointer).is_some(), "dangling {reference}");
        }
        for (_, item) in doc["paths"].as_object().unwrap() {
            for (_, op) in item.as_object().unwrap() {
                for status in op["responses"].as_object().unwrap().keys() {
                    assert!(
                        status.parse::<u16>().is_ok(),
                        "range or default response {status}"
                    );
                }
            }
        }
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r.clone());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[test]
fn duplicate_operation_ids_fail_the_build_naming_both_routes() {
    /// One.
    #[get("/a", operation_id = "same")]
    async fn first() {}
    /// Two.
    #[get("/b", operation_id = "same")]
    async fn second() {}
    let errors = App::new()
        .routes(routes![first, second])
        .check()
        .unwrap_err()
        .to_string();
    assert!(errors.contains("operation id `same`"), "{errors}");
    assert!(
        errors.contains("GET /a") && errors.contains("first"),
        "{errors}"
    );
    assert!(
        errors.contains("GET /b") && errors.contains("second"),
        "{errors}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_served_with_an_etag() {
    let expected = shop().openapi().unwrap();
    let server = Server::start(shop()).await;
    for version in oxapi_tests::VERSIONS {
        let client = Client::new(&server, version);
        let reply = client.get("/openapi.json").await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.json(), expected);
        let etag = reply.header("etag").expect("an ETag").to_owned();
        let reply = client
            .send(
                Method::GET,
                "/openapi.json",
                &[("if-none-match", &etag)],
                "",
            )
            .await;
        assert_eq!(reply.status, 304);
        assert!(reply.body.is_empty());
        let reply = client
            .send(
                Method::GET,
                "/openapi.json",
                &[("if-none-match", "\"other\"")],
                "",
            )
            .await;
        assert_eq!(reply.status, 200);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docs_pages_are_served_and_configurable() {
    let server = Server::start(shop()).await;
    let client = Client::new(&server, Version::Http1);
    let page = client.get("/docs").await;
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.text().contains("/openapi.json"));
    for asset in [
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
    ] {
        let reply = client.get(&format!("/docs/{asset}")).await;
        assert_eq!(reply.status, 200, "{asset}");
        assert!(!reply.body.is_empty());
    }
    client.get("/docs/../Cargo.toml").await.problem(404);
    client.get("/docs/unknown.js").await.problem(404);
    let page = client.get("/scalar").await;
    assert!(page.text().contains("/scalar/scalar.js"));
    assert_eq!(
        client.get("/scalar/scalar.js").await.header("content-type"),
        Some("application/javascript")
    );
    server.stop().await;

    let app = shop()
        .openapi_path(Some("/api/spec.json"))
        .swagger_ui_path(Some("/api/docs"))
        .scalar_path(None);
    let server = Server::start(app).await;
    let client = Client::new(&server, Version::Http1);
    assert_eq!(client.get("/api/spec.json").await.status, 200);
    let page = client.get("/api/docs").await.text();
    assert!(
        page.contains("/api/spec.json") && page.contains("/api/docs/swagger-ui-bundle.js"),
        "{page}"
    );
    client.get("/openapi.json").await.problem(404);
    client.get("/docs").await.problem(404);
    client.get("/scalar").await.problem(404);
    server.stop().await;
}

#[test]
fn the_openapi_command_prints_json_and_yaml_without_binding() {
    let fixture = env!("CARGO_BIN_EXE_fixture");
    let output = std::process::Command::new(fixture)
        .args(["openapi"])
        // Serving with this would fail: the command must not read it.
        .env("OXAPI_BIND", "not an address")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["info"]["title"], "Fixture");
    let output = std::process::Command::new(fixture)
        .args(["openapi", "--yaml"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let yaml: Value = serde_norway::from_slice(&output.stdout).unwrap();
    assert_eq!(yaml, json);
}
