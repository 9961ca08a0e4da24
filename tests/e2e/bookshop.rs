//! `examples/bookshop` over HTTP/1.1 and HTTP/2: its routers, layers and API-key dependency.
//! (Its rules are proven against its document by schemathesis, in `external.rs`.)

use http::Method;
use oxapi_tests::{Client, Server, VERSIONS};
use serde_json::json;

const KEY: (&str, &str) = ("x-api-key", "key-of-the-tests");
const JSON: (&str, &str) = ("content-type", "application/json");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn books_are_listed_created_read_and_deleted_with_a_key() {
    let server = Server::start(bookshop::app()).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let page = client.get("/v1/books?genre=fiction&limit=1").await;
        assert_eq!(page.status, 200, "{}", page.text());
        assert_eq!(page.json()["total"], 2);
        assert_eq!(page.json()["items"].as_array().map(Vec::len), Some(1));

        let new_book = json!({
            "title": "The Lathe of Heaven", "author_id": 1, "genre": "fiction",
            "price": 9.5, "year": 1971,
        })
        .to_string();
        // Writing needs a key: none, or a malformed one, is a 401.
        let refused = client
            .send(Method::POST, "/v1/books", &[JSON], new_book.clone())
            .await;
        refused.problem(401);
        let refused = client
            .send(
                Method::POST,
                "/v1/books",
                &[JSON, ("x-api-key", "short")],
                new_book.clone(),
            )
            .await;
        refused.problem(401);

        let created = client
            .send(Method::POST, "/v1/books", &[JSON, KEY], new_book)
            .await;
        assert_eq!(created.status, 201, "{}", created.text());
        let id = created.json()["id"].as_u64().unwrap();
        let read = client.get(&format!("/v1/books/{id}")).await;
        assert_eq!(read.json()["title"], "The Lathe of Heaven");
        let deleted = client
            .send(Method::DELETE, &format!("/v1/books/{id}"), &[KEY], "")
            .await;
        assert_eq!(deleted.status, 204);
        client.get(&format!("/v1/books/{id}")).await.problem(404);

        // An unknown author is a 404.
        let orphan =
            json!({"title": "x", "author_id": 999, "genre": "science", "price": 1.0, "year": 1});
        client
            .send(Method::POST, "/v1/books", &[JSON, KEY], orphan.to_string())
            .await
            .problem(404);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_preflights_are_answered_and_large_answers_compressed() {
    let server = Server::start(bookshop::app()).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let preflight = client
            .send(
                Method::OPTIONS,
                "/v1/books",
                &[
                    ("origin", "https://shop.example"),
                    ("access-control-request-method", "POST"),
                ],
                "",
            )
            .await;
        assert_eq!(preflight.status, 200, "{}", preflight.text());
        assert!(preflight.header("access-control-allow-origin").is_some());
        let compressed = client
            .send(Method::GET, "/v1/books", &[("accept-encoding", "gzip")], "")
            .await;
        assert_eq!(compressed.status, 200);
        assert_eq!(compressed.header("content-encoding"), Some("gzip"));
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_and_cookies_describe_the_reader() {
    let server = Server::start(bookshop::app()).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let reply = client
            .send(
                Method::GET,
                "/v1/me",
                &[("x-request-id", "r-1"), ("cookie", "page_size=50")],
                "",
            )
            .await;
        assert_eq!(reply.json(), json!({"request_id": "r-1", "page_size": 50}));
        let reply = client
            .send(Method::GET, "/v1/me", &[("cookie", "page_size=500")], "")
            .await;
        let problem = reply.problem(422);
        assert_eq!(problem["errors"][0]["location"], "cookie.page_size");
    }
    server.stop().await;
}
