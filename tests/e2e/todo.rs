//! `examples/todo` over a real socket, on a real database: SQLite in a temporary file by
//! default, or the database `$DATABASE_URL` names (each test makes its own lists, so tests
//! share a database safely; a PostgreSQL run needs one started, as `scripts/test.sh` does
//! with `scripts/postgres.sh`).

use std::sync::Arc;

use http::Method;
use oxapi_tests::{Client, Reply, Server, VERSIONS, Version};
use serde_json::{Value, json};
use tempfile::TempDir;
use todo::DatabaseConfig;

const JSON: (&str, &str) = ("content-type", "application/json");

/// The service on a fresh database, with what keeps that database alive.
struct Todo {
    server: Server,
    _dir: Option<TempDir>,
}

impl Todo {
    async fn start() -> Self {
        let (config, dir) = match std::env::var("DATABASE_URL") {
            Ok(url) if !url.is_empty() => (DatabaseConfig::url(url), None),
            _ => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("todo.db").display());
                (DatabaseConfig::url(url), Some(dir))
            }
        };
        Self {
            server: Server::start(todo::app(config)).await,
            _dir: dir,
        }
    }

    fn client(&self, version: Version) -> Client {
        Client::new(&self.server, version)
    }

    async fn stop(self) {
        self.server.stop().await;
    }
}

/// A title no other test (or run, on a shared database) uses.
fn unique(title: &str) -> String {
    format!("{title} {}", uuid::Uuid::new_v4())
}

async fn post(client: &Client, path: &str, body: Value) -> Reply {
    client
        .send(Method::POST, path, &[JSON], body.to_string())
        .await
}

async fn patch(client: &Client, path: &str, if_match: Option<&str>, body: Value) -> Reply {
    let mut headers = vec![JSON];
    if let Some(tag) = if_match {
        headers.push(("if-match", tag));
    }
    client
        .send(Method::PATCH, path, &headers, body.to_string())
        .await
}

/// Makes a list and returns its path.
async fn new_list(client: &Client, title: &str) -> String {
    let reply = post(client, "/v1/lists", json!({ "title": unique(title) })).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    format!("/v1/lists/{}", reply.json()["id"].as_str().unwrap())
}

/// The titles of a page's items, in order.
fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_and_items_are_made_read_changed_and_deleted() {
    let todo = Todo::start().await;
    for version in VERSIONS {
        let client = todo.client(version);
        let title = unique("groceries");
        let made = post(&client, "/v1/lists", json!({ "title": title })).await;
        assert_eq!(made.status, 201, "{}", made.text());
        let list = made.json();
        assert_eq!(list["title"], title.as_str());
        assert_eq!(list["version"], 1);
        assert_eq!(made.header("etag"), Some("\"1\""));
        let path = format!("/v1/lists/{}", list["id"].as_str().unwrap());
        assert_eq!(made.header("location"), Some(path.as_str()));

        let read = client.get(&path).await;
        assert_eq!(read.status, 200);
        assert_eq!(read.json(), list);
        assert_eq!(read.header("etag"), Some("\"1\""));

        let renamed = patch(
            &client,
            &path,
            None,
            json!({ "title": format!("{title}!") }),
        )
        .await;
        assert_eq!(renamed.status, 200, "{}", renamed.text());
        assert_eq!(renamed.json()["version"], 2);
        assert_eq!(renamed.header("etag"), Some("\"2\""));

        let items = format!("{path}/items");
        let item = post(&client, &items, json!({ "title": "milk" })).await;
        assert_eq!(item.status, 201, "{}", item.text());
        assert_eq!(item.json()["done"], false);
        let item_path = item.header("location").unwrap().to_owned();
        let done = patch(&client, &item_path, Some("\"1\""), json!({ "done": true })).await;
        assert_eq!(done.status, 200, "{}", done.text());
        assert_eq!(
            (done.json()["done"].clone(), done.json()["title"].clone()),
            (json!(true), json!("milk"))
        );
        let page = client.get(&items).await.json();
        assert_eq!(page["total"], 1);
        assert_eq!(page["items"][0], done.json());

        let deleted = client.send(Method::DELETE, &item_path, &[], "").await;
        assert_eq!(deleted.status, 204);
        client.get(&item_path).await.problem(404);

        post(&client, &items, json!({ "title": "bread" })).await;
        let deleted = client.send(Method::DELETE, &path, &[], "").await;
        assert_eq!(deleted.status, 204);
        client.get(&path).await.problem(404);
        // Its items went with it.
        client.get(&items).await.problem(404);
        post(&client, &items, json!({ "title": "eggs" }))
            .await
            .problem(404);
    }
    todo.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_list_with_a_title_is_a_conflict() {
    let todo = Todo::start().await;
    let client = todo.client(Version::Http1);
    let title = unique("chores");
    assert_eq!(
        post(&client, "/v1/lists", json!({ "title": title }))
            .await
            .status,
        201
    );
    let problem = post(&client, "/v1/lists", json!({ "title": title }))
        .await
        .problem(409);
    assert!(
        problem["detail"].as_str().unwrap().contains("title"),
        "{problem}"
    );
    // A rename onto another list's title too.
    let other = new_list(&client, "other").await;
    patch(&client, &other, None, json!({ "title": title }))
        .await
        .problem(409);
    todo.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_problem_naming_where_it_is() {
    let todo = Todo::start().await;
    let client = todo.client(Version::Http1);
    let list = new_list(&client, "errands").await;
    for (reply, location) in [
        (
            post(&client, "/v1/lists", json!({ "title": "" })).await,
            "body.title",
        ),
        (post(&client, "/v1/lists", json!({})).await, "body.title"),
        (
            post(
                &client,
                &format!("{list}/items"),
                json!({ "title": "x".repeat(501) }),
            )
            .await,
            "body.title",
        ),
        (
            patch(&client, &list, None, json!({ "title": 5 })).await,
            "body.title",
        ),
        (client.get("/v1/lists?limit=0").await, "query.limit"),
        (client.get("/v1/lists?limit=101").await, "query.limit"),
        (client.get("/v1/lists?sort=size").await, "query.sort"),
        (
            client.get(&format!("{list}/items?done=maybe")).await,
            "query.done",
        ),
        (client.get("/v1/lists/not-a-uuid").await, "path.list_id"),
    ] {
        let problem = reply.problem(422);
        assert_eq!(oxapi_tests::locations(&problem), [location], "{problem}");
    }
    // An `If-Match` that is no list of entity tags breaks the header's documented pattern.
    let malformed = patch(&client, &list, Some("3"), json!({ "title": "x" })).await;
    let problem = malformed.problem(422);
    assert_eq!(
        oxapi_tests::locations(&problem),
        ["header.if-match"],
        "{problem}"
    );
    // An unknown list or item is a 404 whatever the operation.
    let nowhere = format!("/v1/lists/{}", uuid::Uuid::nil());
    client.get(&nowhere).await.problem(404);
    patch(&client, &nowhere, None, json!({ "title": "x" }))
        .await
        .problem(404);
    client
        .get(&format!("{list}/items/{}", uuid::Uuid::nil()))
        .await
        .problem(404);
    todo.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_filter_and_sort_items() {
    let todo = Todo::start().await;
    let client = todo.client(Version::Http2);
    let list = new_list(&client, "reading").await;
    let items = format!("{list}/items");
    for (title, done) in [
        ("d", false),
        ("b", true),
        ("e", false),
        ("a", true),
        ("c", false),
    ] {
        let made = post(&client, &items, json!({ "title": title, "done": done })).await;
        assert_eq!(made.status, 201, "{}", made.text());
    }
    let page = |query: &str| {
        let client = client.clone();
        let path = format!("{items}?{query}");
        async move {
            let reply = client.get(&path).await;
            assert_eq!(reply.status, 200, "{path}: {}", reply.text());
            reply.json()
        }
    };
    let all = page("").await;
    assert_eq!(
        (titles(&all), all["total"].clone()),
        (
            vec!["d", "b", "e", "a", "c"]
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>(),
            json!(5)
        )
    );
    assert_eq!(
        titles(&page("sort=-created").await),
        ["c", "a", "e", "b", "d"]
    );
    assert_eq!(titles(&page("sort=title&limit=2").await), ["a", "b"]);
    assert_eq!(
        titles(&page("sort=title&limit=2&offset=2").await),
        ["c", "d"]
    );
    let last = page("sort=title&limit=2&offset=4").await;
    assert_eq!(
        (titles(&last), last["total"].clone()),
        (vec!["e".to_owned()], json!(5))
    );
    assert_eq!(
        titles(&page("sort=-title&offset=10").await),
        Vec::<String>::new()
    );
    let done = page("done=true&sort=title").await;
    assert_eq!(
        (titles(&done), done["total"].clone()),
        (vec!["a".to_owned(), "b".to_owned()], json!(2))
    );
    let open = page("done=false&sort=-title&limit=1").await;
    assert_eq!(
        (titles(&open), open["total"].clone()),
        (vec!["e".to_owned()], json!(3))
    );
    todo.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_with_a_stale_etag_is_refused_with_412() {
    let todo = Todo::start().await;
    let client = todo.client(Version::Http1);
    let list = new_list(&client, "trip").await;
    let item = post(
        &client,
        &format!("{list}/items"),
        json!({ "title": "tickets" }),
    )
    .await;
    let item = item.header("location").unwrap().to_owned();
    let tag = client.get(&item).await.header("etag").unwrap().to_owned();

    let first = patch(&client, &item, Some(&tag), json!({ "done": true })).await;
    assert_eq!(first.status, 200, "{}", first.text());
    // The second writer read the same version: its change would overwrite the first's.
    let second = patch(&client, &item, Some(&tag), json!({ "title": "passports" })).await;
    assert!(
        second.problem(412)["detail"]
            .as_str()
            .unwrap()
            .contains("version 2")
    );
    // A weak tag never matches If-Match; `*` and a list holding the current tag do.
    patch(&client, &item, Some("W/\"2\""), json!({ "done": false }))
        .await
        .problem(412);
    let any = patch(&client, &item, Some("*"), json!({ "done": false })).await;
    assert_eq!(any.header("etag"), Some("\"3\""));
    let listed = patch(
        &client,
        &item,
        Some("\"1\", \"3\""),
        json!({ "done": true }),
    )
    .await;
    assert_eq!(listed.header("etag"), Some("\"4\""));
    let read = client.get(&item).await.json();
    assert_eq!(
        (read["title"].clone(), read["version"].clone()),
        (json!("tickets"), json!(4))
    );

    // Deletes too, lists as items.
    let stale = client
        .send(Method::DELETE, &item, &[("if-match", &tag)], "")
        .await;
    stale.problem(412);
    let current = client
        .send(Method::DELETE, &item, &[("if-match", "\"4\"")], "")
        .await;
    assert_eq!(current.status, 204);
    patch(
        &client,
        &list,
        Some("\"1\""),
        json!({ "title": unique("trip") }),
    )
    .await;
    client
        .send(Method::DELETE, &list, &[("if-match", "\"1\"")], "")
        .await
        .problem(412);
    todo.stop().await;
}

/// 50 writers read one version of an item and all write with its `ETag`: whatever the
/// interleaving, exactly one wins each round, the 49 others get 412, and every round's win
/// is kept (the version counts them all).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_writers_with_if_match_one_wins_each_round_none_lost() {
    const WRITERS: usize = 50;
    const ROUNDS: i64 = 5;
    let todo = Todo::start().await;
    let client = todo.client(Version::Http1);
    let list = new_list(&client, "contended").await;
    let item = post(
        &client,
        &format!("{list}/items"),
        json!({ "title": "start" }),
    )
    .await;
    let item = Arc::new(item.header("location").unwrap().to_owned());
    for round in 1..=ROUNDS {
        let before = client.get(&item).await;
        let tag = Arc::new(before.header("etag").unwrap().to_owned());
        assert_eq!(*tag, format!("\"{round}\""));
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let (client, item, tag) = (client.clone(), Arc::clone(&item), Arc::clone(&tag));
                tokio::spawn(async move {
                    let title = format!("round {round} writer {writer}");
                    let reply = patch(&client, &item, Some(&tag), json!({ "title": title })).await;
                    (title, reply)
                })
            })
            .collect();
        let mut winners = Vec::new();
        for writer in writers {
            let (title, reply) = writer.await.unwrap();
            match reply.status.as_u16() {
                200 => winners.push(title),
                412 => {}
                other => panic!("a writer got {other}: {}", reply.text()),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
        let after = client.get(&item).await.json();
        assert_eq!(after["title"], winners[0].as_str());
        assert_eq!(after["version"], round + 1);
    }
    todo.stop().await;
}
