//! The opt-in trailing-slash redirect, over both versions: the query is kept, and so is the
//! prefix a proxy serves the app under.

use oxapi::prelude::*;
use oxapi_tests::{Client, Server, VERSIONS};

#[get("/items")]
async fn items(#[query] q: Option<String>) -> String {
    format!("items {q:?}")
}

#[get("/things/")]
async fn things() -> &'static str {
    "things"
}

#[tokio::test]
async fn trailing_slash_redirects_keep_the_query_and_the_root_path() {
    let app = |redirect: bool| {
        App::new()
            .redirect_trailing_slash(redirect)
            .routes(routes![items, things])
    };
    for (app, prefix) in [(app(true), ""), (app(true).root_path("/api"), "/api")] {
        let server = Server::start(app).await;
        for version in VERSIONS {
            let client = Client::new(&server, version);
            for (path, location) in [
                ("/items/?q=a%20b&x=1", "/items?q=a%20b&x=1"),
                ("/items/", "/items"),
                ("/things?q=1", "/things/?q=1"),
                ("/things", "/things/"),
            ] {
                let reply = client.get(path).await;
                assert_eq!(reply.status, 307, "{version:?} {path}: {}", reply.text());
                assert_eq!(
                    reply.header("location"),
                    Some(format!("{prefix}{location}").as_str()),
                    "{version:?} {path}"
                );
            }
            // The routes themselves answer, and what matches nothing either way is a 404.
            assert_eq!(client.get("/items?q=z").await.text(), r#"items Some("z")"#);
            assert_eq!(client.get("/things/").await.text(), "things");
            client.get("/nothing/").await.problem(404);
        }
        server.stop().await;
    }
    // Off (the default): a path is matched exactly.
    let server = Server::start(app(false)).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        client.get("/items/").await.problem(404);
        client.get("/things").await.problem(404);
    }
    server.stop().await;
}
