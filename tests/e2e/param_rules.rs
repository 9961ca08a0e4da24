//! Rules on single parameters (`#[query(range(..), default = ..)]`, `#[path(..)]`,
//! `#[header(..)]`, `#[cookie(..)]`): enforced with a 422 at the parameter, every failure of a
//! request in one answer, and stated in the document exactly as enforced — checked by
//! sending values at and across each documented bound.

use http::Method;
use oxapi::prelude::*;
use oxapi_tests::{Client, Server, VERSIONS, locations};
use serde_json::{Value, json};

/// Search the items.
#[get("/items/{item_id}/search")]
async fn search(
    /// The item.
    #[path(range(min = 1, max = 1000))]
    item_id: u32,
    #[query(default = 10, range(min = 1, max = 100), description = "Page size.")] limit: u32,
    #[query(range(exclusive_min = 0, exclusive_max = 1))] ratio: Option<f64>,
    #[query(
        length(min = 2, max = 5),
        pattern = "^[a-z]+$",
        alias = "item-query",
        deprecated,
        example = "abc"
    )]
    q: Option<String>,
    /// The caller's token,
    /// at most 8 characters.
    #[header(length(max = 8))]
    x_token: Option<String>,
    #[cookie(range(min = -3, max = 3))] level: Option<i8>,
    #[query(range(min = 2))] tag: Vec<u32>,
    #[query(default = "title")] sort: String,
    #[query(default = 7)] page: u64,
) -> Json<Value> {
    Json(json!({
        "item_id": item_id, "limit": limit, "ratio": ratio, "q": q,
        "x_token": x_token, "level": level, "tag": tag, "sort": sort, "page": page,
    }))
}

fn app() -> App {
    App::new().routes(routes![search])
}

#[tokio::test]
async fn defaults_apply_and_values_within_the_rules_pass() {
    let server = Server::start(app()).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let reply = client.get("/items/1/search").await;
        assert_eq!(reply.status, 200, "{version:?}: {}", reply.text());
        assert_eq!(
            reply.json(),
            json!({"item_id": 1, "limit": 10, "ratio": null, "q": null,
                   "x_token": null, "level": null, "tag": [], "sort": "title", "page": 7})
        );
        let reply = client
            .send(
                Method::GET,
                "/items/1000/search?limit=100&ratio=0.5&item-query=abcde&tag=2&tag=9",
                &[("x-token", "12345678"), ("cookie", "level=-3")],
                "",
            )
            .await;
        assert_eq!(reply.status, 200, "{version:?}: {}", reply.text());
        assert_eq!(reply.json()["q"], "abcde");
        assert_eq!(reply.json()["level"], -3);
    }
    server.stop().await;
}

#[tokio::test]
async fn every_broken_rule_of_a_request_is_listed_in_one_422() {
    let server = Server::start(app()).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let reply = client
            .send(
                Method::GET,
                "/items/0/search?limit=0&ratio=1&item-query=A&tag=1",
                &[("x-token", "123456789"), ("cookie", "level=4")],
                "",
            )
            .await;
        let problem = reply.problem(422);
        assert_eq!(
            locations(&problem),
            [
                "path.item_id",
                "query.limit",
                "query.ratio",
                "query.item-query",
                "header.x-token",
                "cookie.level",
                "query.tag",
            ],
            "{version:?}: {problem}"
        );
        let messages: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|error| error["message"].as_str().unwrap())
            .collect();
        assert_eq!(messages[0], "must be at least 1 and at most 1000");
        assert_eq!(messages[2], "must be greater than 0 and less than 1");
        assert_eq!(messages[3], "length must be between 2 and 5");
        assert_eq!(messages[4], "length must be at most 8");
        // A value of the right length that breaks the pattern.
        let reply = client.get("/items/1/search?item-query=ABC").await;
        let problem = reply.problem(422);
        assert_eq!(problem["errors"][0]["code"], "pattern", "{problem}");
        assert_eq!(
            problem["errors"][0]["message"],
            "must match the pattern `^[a-z]+$`"
        );
        // The old name is not the parameter: `q` is ignored, the alias is read.
        let reply = client.get("/items/1/search?q=ABC").await;
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    server.stop().await;
}

/// The parameter `name` (in `location`) of the search operation in `document`.
fn parameter<'a>(document: &'a Value, location: &str, name: &str) -> &'a Value {
    document["paths"]["/items/{item_id}/search"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["in"] == location && p["name"] == name)
        .unwrap_or_else(|| panic!("no {location} parameter {name}"))
}

#[tokio::test]
async fn the_document_states_each_rule_as_enforced() {
    let document = app().openapi().unwrap();
    let item_id = parameter(&document, "path", "item_id");
    assert_eq!(item_id["schema"]["minimum"], 1);
    assert_eq!(item_id["schema"]["maximum"], 1000);
    let limit = parameter(&document, "query", "limit");
    assert_eq!(limit["required"], false, "a default makes it optional");
    assert_eq!(limit["description"], "Page size.");
    assert_eq!(limit["schema"]["default"], 10);
    assert_eq!(
        limit["schema"]["minimum"], 1,
        "the rule's bound replaces u32's 0"
    );
    assert_eq!(limit["schema"]["maximum"], 100);
    assert_eq!(
        parameter(&document, "query", "sort")["schema"]["default"],
        "title"
    );
    assert_eq!(
        parameter(&document, "query", "page")["schema"]["default"],
        7
    );
    let ratio = parameter(&document, "query", "ratio");
    assert_eq!(ratio["schema"]["exclusiveMinimum"], 0);
    assert_eq!(ratio["schema"]["exclusiveMaximum"], 1);
    let q = parameter(&document, "query", "item-query");
    assert_eq!(q["deprecated"], true);
    assert_eq!(q["example"], "abc");
    assert_eq!(q["schema"]["minLength"], 2);
    assert_eq!(q["schema"]["maxLength"], 5);
    assert_eq!(q["schema"]["pattern"], "^[a-z]+$");
    let token = parameter(&document, "header", "x-token");
    assert_eq!(token["schema"]["maxLength"], 8);
    assert_eq!(
        token["description"], "The caller's token,\nat most 8 characters.",
        "a parameter's doc comment is its description"
    );
    assert_eq!(item_id["description"], "The item.");
    let level = parameter(&document, "cookie", "level")["schema"].clone();
    assert_eq!(
        (level["minimum"].clone(), level["maximum"].clone()),
        (json!(-3), json!(3))
    );
    let tag = parameter(&document, "query", "tag");
    assert_eq!(
        tag["schema"]["items"]["minimum"], 2,
        "a list's rule holds for each value"
    );

    // Every documented numeric bound, probed at the bound and one step across it: the server
    // accepts exactly what the document allows.
    let server = Server::start(app()).await;
    let client = Client::new(&server, VERSIONS[0]);
    let probes: [(&str, &str, &Value); 3] = [
        ("path", "item_id", &item_id["schema"]),
        ("query", "limit", &limit["schema"]),
        ("query", "tag", &tag["schema"]["items"]),
    ];
    for (location, name, schema) in probes {
        for (keyword, inside, outside) in [("minimum", 0, -1), ("maximum", 0, 1)] {
            let Some(bound) = schema[keyword].as_i64() else {
                continue;
            };
            for (value, allowed) in [(bound + inside, true), (bound + outside, false)] {
                let path = match location {
                    "path" => format!("/items/{value}/search"),
                    _ => format!("/items/1/search?{name}={value}"),
                };
                let reply = client.get(&path).await;
                let accepted = reply.status == 200;
                assert_eq!(
                    accepted,
                    allowed,
                    "{location}.{name}={value} against {keyword} {bound}: {}",
                    reply.text()
                );
            }
        }
    }
    for (value, allowed) in [("0", false), ("0.001", true), ("0.999", true), ("1", false)] {
        let reply = client.get(&format!("/items/1/search?ratio={value}")).await;
        assert_eq!(
            reply.status == 200,
            allowed,
            "ratio={value}: {}",
            reply.text()
        );
    }
    for (value, allowed) in [
        ("a", false),
        ("ab", true),
        ("abcde", true),
        ("abcdef", false),
    ] {
        let reply = client
            .get(&format!("/items/1/search?item-query={value}"))
            .await;
        assert_eq!(
            reply.status == 200,
            allowed,
            "item-query={value}: {}",
            reply.text()
        );
    }
    server.stop().await;
}
