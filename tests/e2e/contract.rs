//! The document says exactly what the server does: statuses, catch-all paths, the success of a
//! `Result`, and every numeric bound, each checked against a real server.

use http::Method;
use oxapi::prelude::*;
use oxapi_tests::{Client, Server, VERSIONS, locations};
use serde_json::{Value, json};

/// An item.
#[model]
struct Item {
    id: u32,
}

/// What the error side of a `Result` sends.
#[model]
struct Oops {
    reason: String,
}

#[post("/made", status = 201)]
async fn made() -> Json<Item> {
    Json(Item { id: 1 })
}

/// The handler chose 200 itself: the route's `status = 201` does not override it.
#[post("/made/explicit", status = 201)]
async fn made_explicit() -> (StatusCode, Json<Item>) {
    (StatusCode::OK, Json(Item { id: 2 }))
}

#[post("/made/result/{explicit}", status = 201)]
async fn made_result(explicit: bool) -> Result<(StatusCode, Json<Item>), ApiError> {
    let status = if explicit {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(Item { id: 3 })))
}

/// A plain `fn` on the blocking pool takes the same path.
#[post("/made/blocking/{explicit}", status = 201)]
fn made_blocking(explicit: bool) -> Result<Json<Item>, (StatusCode, Json<Oops>)> {
    if explicit {
        Err((
            StatusCode::OK,
            Json(Oops {
                reason: "not really an error".into(),
            }),
        ))
    } else {
        Ok(Json(Item { id: 4 }))
    }
}

/// Errors whose status is chosen at run time: documented as `default`, beside the success.
#[get("/result/{fail}")]
async fn result(fail: bool) -> Result<Json<Item>, (StatusCode, Json<Oops>)> {
    if fail {
        Err((
            StatusCode::IM_A_TEAPOT,
            Json(Oops {
                reason: "tea".into(),
            }),
        ))
    } else {
        Ok(Json(Item { id: 5 }))
    }
}

#[get("/result/api/{id}")]
async fn result_api(id: u32) -> Result<Json<Item>, ApiError> {
    if id == 0 {
        return Err(ApiError::not_found("no item 0"));
    }
    Ok(Json(Item { id }))
}

/// A catch-all: the rest of the path, slashes included.
#[get("/files/{*path}")]
async fn file(path: String) -> String {
    path
}

/// Numbers with every kind of bound: a rule's, the type's, both, inclusive and exclusive.
#[model]
struct Bounded {
    #[validate(range(min = 1, max = 100))]
    a: u32,
    #[validate(range(exclusive_min = 0, exclusive_max = 10))]
    b: i32,
    /// A rule's bound looser than its type's does not compile (validator checks it): this
    /// one's bounds are the type's.
    c: u8,
    d: i8,
    #[validate(range(exclusive_min = 0.0, max = 1.5))]
    e: f64,
    #[validate(range(min = -5, exclusive_max = 5))]
    f: i16,
    g: u64,
    #[validate(range(min = -100))]
    h: i8,
}

#[post("/bounded")]
async fn bounded(body: Json<Bounded>) -> StatusCode {
    let _ = body;
    StatusCode::NO_CONTENT
}

/// The same kinds of bound on query parameters.
#[model]
struct BoundedQuery {
    #[validate(range(min = 1))]
    a: u8,
    b: i64,
    #[validate(range(exclusive_min = -1.5, exclusive_max = 1.5))]
    c: f64,
    #[validate(range(min = -5, max = 5))]
    d: Option<i32>,
}

#[get("/bounded")]
async fn bounded_query(query: Query<BoundedQuery>) -> StatusCode {
    let _ = query;
    StatusCode::NO_CONTENT
}

fn app() -> App {
    App::new().routes(routes![
        made,
        made_explicit,
        made_result,
        made_blocking,
        result,
        result_api,
        file,
        bounded,
        bounded_query
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_sets_the_default_success_only() {
    let server = Server::start(app()).await;
    for version in VERSIONS {
        let c = Client::new(&server, version);
        let post = |path: &'static str| c.send(Method::POST, path, &[], "");
        let r = post("/made").await;
        assert_eq!((r.status.as_u16(), r.json()), (201, json!({"id": 1})));
        let r = post("/made/explicit").await;
        assert_eq!((r.status.as_u16(), r.json()), (200, json!({"id": 2})));
        assert_eq!(post("/made/result/true").await.status, 200);
        assert_eq!(post("/made/result/false").await.status, 202);
        assert_eq!(post("/made/blocking/true").await.status, 200);
        assert_eq!(post("/made/blocking/false").await.status, 201);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_results_error_never_replaces_its_success() {
    let server = Server::start(app()).await;
    let c = Client::new(&server, VERSIONS[0]);
    let document = c.get("/openapi.json").await.json();
    let item = json!({ "$ref": "#/components/schemas/Item" });
    let oops = json!({ "$ref": "#/components/schemas/Oops" });

    let responses = &document["paths"]["/result/{fail}"]["get"]["responses"];
    assert_eq!(
        responses["200"]["content"]["application/json"]["schema"],
        item
    );
    assert_eq!(
        responses["default"]["content"]["application/json"]["schema"],
        oops
    );
    let r = c.get("/result/false").await;
    assert_eq!((r.status.as_u16(), r.json()), (200, json!({"id": 5})));
    let r = c.get("/result/true").await;
    assert_eq!(
        (r.status.as_u16(), r.json()),
        (418, json!({"reason": "tea"}))
    );

    let responses = &document["paths"]["/result/api/{id}"]["get"]["responses"];
    assert_eq!(
        responses["200"]["content"]["application/json"]["schema"],
        item
    );
    assert!(responses.get("default").is_none(), "{responses}");

    // `status = 201` with a `Result`: the success at 201, the error's content at `default`.
    let responses = &document["paths"]["/made/blocking/{explicit}"]["post"]["responses"];
    assert_eq!(
        responses["201"]["content"]["application/json"]["schema"],
        item
    );
    assert_eq!(
        responses["default"]["content"]["application/json"]["schema"],
        oops
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catch_all_is_documented_as_the_openapi_template_it_serves() {
    let server = Server::start(app()).await;
    let c = Client::new(&server, VERSIONS[0]);
    let document = c.get("/openapi.json").await.json();
    let paths = document["paths"].as_object().unwrap();
    assert!(!paths.keys().any(|path| path.contains('*')), "{paths:?}");
    let param = &paths["/files/{path}"]["get"]["parameters"][0];
    assert_eq!(
        (&param["name"], &param["in"]),
        (&json!("path"), &json!("path"))
    );
    assert_eq!(c.get("/files/a/b.txt").await.text(), "a/b.txt");
    server.stop().await;
}

/// A valid value of every field of `Bounded`.
fn baseline() -> Value {
    json!({"a": 1, "b": 1, "c": 0, "d": 0, "e": 1.0, "f": 0, "g": 0, "h": 0})
}

/// A value at or across one documented bound, and whether the server must accept it.
#[derive(Debug)]
struct Probe {
    field: String,
    value: Value,
    accepted: bool,
}

/// The values at and across each bound the schema of `field` documents: one step past an
/// inclusive bound is refused, the bound itself accepted; an exclusive bound is refused and
/// one step inside it accepted.
fn probes(field: &str, schema: &Value) -> Vec<Probe> {
    // `Option<i32>` is `["integer", "null"]`.
    let integer = schema["type"] == "integer"
        || schema["type"]
            .as_array()
            .is_some_and(|types| types.contains(&json!("integer")));
    let mut probes = Vec::new();
    let mut push = |value: Value, accepted: bool| {
        probes.push(Probe {
            field: field.to_owned(),
            value,
            accepted,
        });
    };
    for (keyword, inward, inclusive) in [
        ("minimum", 1_i8, true),
        ("maximum", -1, true),
        ("exclusiveMinimum", 1, false),
        ("exclusiveMaximum", -1, false),
    ] {
        let Some(bound) = schema.get(keyword) else {
            continue;
        };
        if integer {
            // i128 holds every bound of a 64-bit integer and one step past it.
            let bound: i128 = bound.to_string().parse().unwrap();
            let number = |n: i128| serde_json::from_str::<Value>(&n.to_string()).unwrap();
            push(number(bound), inclusive);
            push(number(bound + i128::from(inward)), true);
            push(number(bound - i128::from(inward)), false);
        } else {
            let bound = bound.as_f64().unwrap();
            let step = 0.001 * f64::from(inward);
            push(json!(bound), inclusive);
            push(json!(bound + step), true);
            push(json!(bound - step), false);
        }
    }
    probes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documented_bounds_are_the_enforced_ones() {
    let server = Server::start(app()).await;
    let c = Client::new(&server, VERSIONS[0]);
    let document = c.get("/openapi.json").await.json();
    let properties = document["components"]["schemas"]["Bounded"]["properties"]
        .as_object()
        .unwrap();

    // The document states each rule, and a bound on each side of every integer.
    assert_eq!(properties["a"]["minimum"], 1);
    assert_eq!(properties["a"]["maximum"], 100);
    assert_eq!(properties["b"]["exclusiveMinimum"], 0);
    assert_eq!(properties["b"]["exclusiveMaximum"], 10);
    assert!(properties["b"].get("minimum").is_none());
    assert_eq!(properties["c"]["maximum"], 255);
    assert_eq!(properties["d"]["minimum"], -128);
    assert_eq!(properties["e"]["exclusiveMinimum"], 0.0);
    assert_eq!(properties["e"]["maximum"], 1.5);
    assert_eq!(properties["f"]["exclusiveMaximum"], 5);
    assert_eq!(properties["g"]["maximum"], u64::MAX);
    assert_eq!(properties["h"]["minimum"], -100);
    assert_eq!(properties["h"]["maximum"], 127);

    let all: Vec<Probe> = properties
        .iter()
        .flat_map(|(field, schema)| probes(field, schema))
        .collect();
    assert!(all.len() >= 40, "{} probes", all.len());
    let mut disagreements = Vec::new();
    for probe in &all {
        let mut body = baseline();
        body[&probe.field] = probe.value.clone();
        let r = c.post_json("/bounded", &body.to_string()).await;
        let agrees = if probe.accepted {
            r.status == 204
        } else {
            r.status == 422 && locations(&r.json()) == [format!("body.{}", probe.field)]
        };
        if !agrees {
            disagreements.push(format!("{probe:?}: {} {}", r.status, r.text()));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documented_query_bounds_are_the_enforced_ones() {
    let server = Server::start(app()).await;
    let c = Client::new(&server, VERSIONS[0]);
    let document = c.get("/openapi.json").await.json();
    let parameters = document["paths"]["/bounded"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let baseline = [("a", "1"), ("b", "0"), ("c", "0"), ("d", "0")];
    let all: Vec<Probe> = parameters
        .iter()
        .flat_map(|param| probes(param["name"].as_str().unwrap(), &param["schema"]))
        .collect();
    assert!(all.len() >= 16, "{} probes", all.len());
    let mut disagreements = Vec::new();
    for probe in &all {
        let query: Vec<String> = baseline
            .iter()
            .map(|(name, value)| {
                if *name == probe.field {
                    format!("{name}={}", probe.value)
                } else {
                    format!("{name}={value}")
                }
            })
            .collect();
        let r = c.get(&format!("/bounded?{}", query.join("&"))).await;
        let agrees = if probe.accepted {
            r.status == 204
        } else {
            r.status == 422 && locations(&r.json()) == [format!("query.{}", probe.field)]
        };
        if !agrees {
            disagreements.push(format!("{probe:?}: {} {}", r.status, r.text()));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    server.stop().await;
}
