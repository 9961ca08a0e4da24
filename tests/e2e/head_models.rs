//! `Header<T>` and `Cookie<T>`: a model's fields read from headers and cookies, validated,
//! every failure named by its header or cookie, and each field documented as a parameter.

use http::Method;
use oxapi::prelude::*;
use oxapi_tests::{Client, Server, VERSIONS, locations};
use serde_json::{Value, json};

/// Headers every call carries.
#[model]
struct CommonHeaders {
    /// The caller's trace id.
    #[validate(length(min = 3))]
    x_request_id: String,
    x_retries: Option<u8>,
    #[serde(default)]
    x_tag: Vec<String>,
}

/// The session's cookies; no other cookie is accepted.
#[model]
#[serde(deny_unknown_fields)]
struct SessionCookies {
    session_id: String,
    theme: Option<String>,
}

#[get("/whoami")]
async fn whoami(headers: Header<CommonHeaders>, cookies: Cookie<SessionCookies>) -> Json<Value> {
    Json(json!({
        "request_id": headers.x_request_id, "retries": headers.x_retries, "tags": headers.x_tag,
        "session": cookies.session_id, "theme": cookies.theme,
    }))
}

fn app() -> App {
    App::new().routes(routes![whoami])
}

#[tokio::test]
async fn headers_and_cookies_fill_their_models() {
    let server = Server::start(app()).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let reply = client
            .send(
                Method::GET,
                "/whoami",
                &[
                    ("X-Request-Id", "abc-1"),
                    ("x-tag", "a"),
                    ("x-tag", "b"),
                    ("cookie", "session_id=s1; theme=dark"),
                ],
                "",
            )
            .await;
        assert_eq!(reply.status, 200, "{version:?}: {}", reply.text());
        assert_eq!(
            reply.json(),
            json!({"request_id": "abc-1", "retries": null, "tags": ["a", "b"],
                   "session": "s1", "theme": "dark"})
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn failures_name_headers_and_cookies_and_unknown_cookies_are_refused() {
    let server = Server::start(app()).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        // Too short a request id (a validation rule), and no session cookie.
        let reply = client
            .send(Method::GET, "/whoami", &[("x-request-id", "ab")], "")
            .await;
        let problem = reply.problem(422);
        assert_eq!(
            locations(&problem),
            ["header.x-request-id", "cookie.session_id"],
            "{version:?}: {problem}"
        );
        // A header of the wrong type, and a cookie the model does not know.
        let reply = client
            .send(
                Method::GET,
                "/whoami",
                &[
                    ("x-request-id", "abc"),
                    ("x-retries", "many"),
                    ("cookie", "session_id=s1; tracker=1"),
                ],
                "",
            )
            .await;
        let problem = reply.problem(422);
        assert_eq!(
            locations(&problem),
            ["header.x-retries", "cookie.tracker"],
            "{version:?}: {problem}"
        );
    }
    server.stop().await;
}

#[test]
fn each_field_is_documented_as_a_parameter() {
    let document = app().openapi().unwrap();
    let parameters = document["paths"]["/whoami"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .clone();
    let summary: Vec<(String, String, bool)> = parameters
        .iter()
        .map(|p| {
            (
                p["in"].as_str().unwrap().to_owned(),
                p["name"].as_str().unwrap().to_owned(),
                p["required"].as_bool().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("header", "x-request-id", true),
        ("header", "x-retries", false),
        ("header", "x-tag", false),
        ("cookie", "session_id", true),
        ("cookie", "theme", false),
    ];
    for (location, name, required) in expected {
        assert!(
            summary.contains(&(location.to_owned(), name.to_owned(), required)),
            "{location} {name} (required: {required}) in {summary:?}"
        );
    }
    let request_id = parameters
        .iter()
        .find(|p| p["name"] == "x-request-id")
        .unwrap();
    assert_eq!(request_id["description"], "The caller's trace id.");
    assert_eq!(request_id["schema"]["minLength"], 3);
}
