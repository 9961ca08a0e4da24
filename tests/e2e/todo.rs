//! `examples/todo` over a real socket, on a real database: SQLite in a temporary file by
//! default, or the database `$DATABASE_URL` names (each test makes its own lists, so tests
//! share a database safely; a PostgreSQL run needs one started, as `scripts/test.sh` does
//! with `scripts/postgres.sh`).

mod jobs;

use std::sync::Arc;

use http::Method;
use oxapi_tests::{Client, Reply, Server, VERSIONS, Version};
use serde_json::{Value, json};
use tempfile::TempDir;
use todo::{Config, DatabaseConfig};

const JSON: (&str, &str) = ("content-type", "application/json");

/// The service on a fresh database, with what keeps that database alive, and a user signed
/// up on it.
struct Todo {
    server: Server,
    token: String,
    _dir: Option<TempDir>,
}

impl Todo {
    async fn start() -> Self {
        let (database, dir) = match std::env::var("DATABASE_URL") {
            Ok(url) if !url.is_empty() => (DatabaseConfig::url(url), None),
            _ => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("todo.db").display());
                (DatabaseConfig::url(url), Some(dir))
            }
        };
        let server = Server::start(todo::app(Config::new(database))).await;
        let token = sign_up(&Client::new(&server, Version::Http1), "").await;
        Self {
            server,
            token,
            _dir: dir,
        }
    }

    /// A client acting for the test's user.
    fn client(&self, version: Version) -> Session {
        Session {
            client: Client::new(&self.server, version),
            bearer: format!("Bearer {}", self.token),
        }
    }

    /// A client sending no token.
    fn anonymous(&self, version: Version) -> Client {
        Client::new(&self.server, version)
    }

    async fn stop(self) {
        self.server.stop().await;
    }
}

/// The password of every test user.
const PASSWORD: &str = "correct horse battery staple";

/// Signs up a new user and signs in, asking for `scope` (all scopes if empty); returns the
/// access token.
pub(crate) async fn sign_up(client: &Client, scope: &str) -> String {
    let username = format!("user-{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
    let made = client
        .send(
            Method::POST,
            "/v1/users",
            &[JSON],
            json!({ "username": username, "password": PASSWORD }).to_string(),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    sign_in(client, &username, PASSWORD, scope).await.json()["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token"))
        .to_owned()
}

/// `POST /v1/token` with a username, a password and a scope.
async fn sign_in(client: &Client, username: &str, password: &str, scope: &str) -> Reply {
    let form = format!(
        "grant_type=password&username={username}&password={}&scope={}",
        password.replace(' ', "+"),
        scope.replace(' ', "+")
    );
    client
        .send(
            Method::POST,
            "/v1/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            form,
        )
        .await
}

/// A client whose every request carries a user's token.
#[derive(Debug, Clone)]
struct Session {
    client: Client,
    bearer: String,
}

impl Session {
    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<bytes::Bytes>,
    ) -> Reply {
        let mut headers = headers.to_vec();
        headers.push(("authorization", &self.bearer));
        self.client.send(method, path, &headers, body).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, &[], "").await
    }
}

/// A title no other test (or run, on a shared database) uses.
fn unique(title: &str) -> String {
    format!("{title} {}", uuid::Uuid::new_v4())
}

async fn post(client: &Session, path: &str, body: Value) -> Reply {
    client
        .send(Method::POST, path, &[JSON], body.to_string())
        .await
}

async fn patch(client: &Session, path: &str, if_match: Option<&str>, body: Value) -> Reply {
    let mut headers = vec![JSON];
    if let Some(tag) = if_match {
        headers.push(("if-match", tag));
    }
    client
        .send(Method::PATCH, path, &headers, body.to_string())
        .await
}

/// Makes a list and returns its path.
async fn new_list(client: &Session, title: &str) -> String {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_sign_up_sign_in_and_see_only_their_own_lists() {
    let todo = Todo::start().await;
    let anonymous = todo.anonymous(Version::Http1);
    let alice = todo.client(Version::Http1);
    let list = new_list(&alice, "alice's").await;

    // Who the token says.
    let me = alice.get("/v1/users/me").await;
    assert_eq!(me.status, 200, "{}", me.text());
    let username = me.json()["username"].as_str().unwrap().to_owned();
    assert!(me.json().get("password_hash").is_none());

    // Signing up twice with a name, a short password, a wrong password, an unknown name, an
    // unknown scope.
    let again = anonymous
        .send(
            Method::POST,
            "/v1/users",
            &[JSON],
            json!({ "username": username, "password": PASSWORD }).to_string(),
        )
        .await;
    again.problem(409);
    let short = anonymous
        .send(
            Method::POST,
            "/v1/users",
            &[JSON],
            json!({ "username": "bob-the-short", "password": "short" }).to_string(),
        )
        .await
        .problem(422);
    assert_eq!(oxapi_tests::locations(&short), ["body.password"], "{short}");
    sign_in(&anonymous, &username, "not the password", "")
        .await
        .problem(400);
    sign_in(&anonymous, "nobody-at-all", PASSWORD, "")
        .await
        .problem(400);
    sign_in(&anonymous, &username, PASSWORD, "lists:admin")
        .await
        .problem(400);
    let token = sign_in(&anonymous, &username, PASSWORD, "").await;
    assert_eq!(token.status, 200, "{}", token.text());
    assert_eq!(token.json()["token_type"], "bearer");
    assert_eq!(token.json()["scope"], "lists:read lists:write");

    // No token, a malformed one, a forged one: 401 with the bearer challenge.
    let forged = {
        let (header, _) = alice.bearer.rsplit_once('.').unwrap();
        format!("{header}.c2lnbmVkIGJ5IHNvbWVvbmUgZWxzZQ")
    };
    for authorization in [None, Some("Bearer not-a-jwt"), Some(forged.as_str())] {
        let headers: Vec<(&str, &str)> = authorization
            .map(|value| ("authorization", value))
            .into_iter()
            .collect();
        let refused = anonymous.send(Method::GET, &list, &headers, "").await;
        refused.problem(401);
        assert!(
            refused
                .header("www-authenticate")
                .is_some_and(|challenge| challenge.starts_with("Bearer")),
            "{:?}",
            refused.header("www-authenticate")
        );
    }

    // Another user sees none of alice's lists, and cannot change them.
    let bob = Session {
        client: anonymous.clone(),
        bearer: format!("Bearer {}", sign_up(&anonymous, "").await),
    };
    bob.get(&list).await.problem(404);
    patch(&bob, &list, None, json!({ "title": "mine now" }))
        .await
        .problem(404);
    assert_eq!(bob.get("/v1/lists").await.json()["total"], 0);

    // A read-only token reads, and may not write: 403 naming the scope.
    let reader = Session {
        client: anonymous.clone(),
        bearer: format!(
            "Bearer {}",
            sign_in(&anonymous, &username, PASSWORD, "lists:read")
                .await
                .json()["access_token"]
                .as_str()
                .unwrap()
        ),
    };
    assert_eq!(reader.get(&list).await.status, 200);
    let forbidden = patch(&reader, &list, None, json!({ "title": "renamed" })).await;
    assert_eq!(
        forbidden.header("www-authenticate"),
        Some(r#"Bearer error="insufficient_scope", scope="lists:write""#)
    );
    forbidden.problem(403);
    todo.stop().await;
}

/// `POST` with an `Idempotency-Key` header.
async fn post_once(client: &Session, path: &str, key: &str, body: Value) -> Reply {
    client
        .send(
            Method::POST,
            path,
            &[JSON, ("idempotency-key", key)],
            body.to_string(),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_retried_with_its_idempotency_key_makes_one_row() {
    let todo = Todo::start().await;
    let client = todo.client(Version::Http1);
    let title = unique("trip");
    let key = uuid::Uuid::new_v4().to_string();

    // A retry answers the same, byte for byte, and makes nothing more.
    let first = post_once(&client, "/v1/lists", &key, json!({ "title": title })).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let again = post_once(&client, "/v1/lists", &key, json!({ "title": title })).await;
    assert_eq!(again.status, 201, "{}", again.text());
    assert_eq!(again.json(), first.json());
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), first.header("etag"));
    // The same body with other spacing is the same request.
    let spaced = client
        .send(
            Method::POST,
            "/v1/lists",
            &[JSON, ("idempotency-key", &key)],
            format!("{{ \"title\" :  {} }}", json!(title)),
        )
        .await;
    assert_eq!(spaced.json(), first.json());
    // The key with another request is refused, and makes nothing.
    let other = post_once(&client, "/v1/lists", &key, json!({ "title": unique("x") })).await;
    let problem = other.problem(422);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key"),
        "{problem}"
    );
    let lists = client.get("/v1/lists?limit=100").await.json();
    let same: Vec<_> = lists["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|list| list["title"] == title.as_str())
        .collect();
    assert_eq!(same.len(), 1, "{lists}");
    // Keys belong to their user: another user's key of the same text is another key.
    let path = format!("/v1/lists/{}/items", first.json()["id"].as_str().unwrap());

    // Twenty concurrent retries of one item create: one item, every answer the same.
    let key = uuid::Uuid::new_v4().to_string();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (client, path, key) = (client.clone(), path.clone(), key.clone());
        tasks.spawn(
            async move { post_once(&client, &path, &key, json!({ "title": "tickets" })).await },
        );
    }
    let mut ids = std::collections::HashSet::new();
    while let Some(reply) = tasks.join_next().await {
        let reply = reply.unwrap();
        assert_eq!(reply.status, 201, "{}", reply.text());
        ids.insert(reply.json()["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(client.get(&path).await.json()["total"], 1);
    // An unkeyed create is not deduplicated.
    post(&client, &path, json!({ "title": "tickets" })).await;
    post(&client, &path, json!({ "title": "tickets" })).await;
    assert_eq!(client.get(&path).await.json()["total"], 3);
    todo.stop().await;
}

/// Reads the stream's events until one named `name` comes (a hang guard of 20 s per chunk is
/// the client's); returns its data.
async fn next_event(stream: &mut oxapi_tests::Streamed, buffer: &mut String, name: &str) -> Value {
    loop {
        let (event, data) = next_any_event(stream, buffer).await;
        if event == name {
            return data;
        }
    }
}

/// Reads the stream's next named event with data; returns its name and data.
async fn next_any_event(
    stream: &mut oxapi_tests::Streamed,
    buffer: &mut String,
) -> (String, Value) {
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            let field = |key: &str| {
                event
                    .lines()
                    .find_map(|line| line.strip_prefix(key))
                    .map(str::to_owned)
            };
            if let (Some(name), Some(data)) = (field("event: "), field("data: ")) {
                return (name, serde_json::from_str(&data).unwrap());
            }
        }
        let chunk = stream.chunk().await.expect("the feed goes on");
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_delivers_each_change_of_a_list_to_its_subscribers() {
    let todo = Todo::start().await;
    for version in VERSIONS {
        let client = todo.client(version);
        let list = new_list(&client, "live").await;
        let other = new_list(&client, "quiet").await;
        let mut feed = client
            .client
            .open(
                &format!("{list}/events"),
                &[("authorization", &client.bearer)],
            )
            .await;
        assert_eq!(feed.response.status(), 200);
        assert_eq!(feed.response.headers()["content-type"], "text/event-stream");
        let mut buffer = String::new();

        // A change to another list is not sent; this list's are, in order.
        post(
            &client,
            &format!("{other}/items"),
            json!({ "title": "elsewhere" }),
        )
        .await;
        let made = post(
            &client,
            &format!("{list}/items"),
            json!({ "title": "milk" }),
        )
        .await;
        let item_path = made.header("location").unwrap().to_owned();
        let created = next_event(&mut feed, &mut buffer, "item.created").await;
        assert_eq!(created["item"], made.json());
        let done = patch(&client, &item_path, None, json!({ "done": true })).await;
        let updated = next_event(&mut feed, &mut buffer, "item.updated").await;
        assert_eq!(updated["item"], done.json());
        client.send(Method::DELETE, &item_path, &[], "").await;
        let deleted = next_event(&mut feed, &mut buffer, "item.deleted").await;
        assert_eq!(deleted["item_id"], made.json()["id"]);
        // Deleting the list ends the stream after saying so.
        client.send(Method::DELETE, &list, &[], "").await;
        next_event(&mut feed, &mut buffer, "list.deleted").await;
        while let Some(chunk) = feed.chunk().await {
            let text = std::str::from_utf8(&chunk).unwrap();
            assert!(
                text.is_empty() || text.starts_with(':'),
                "only keep-alive comments after the end: {text:?}"
            );
        }
        // Someone else's list, or none: 404 before any stream.
        let stranger = Session {
            client: todo.anonymous(version),
            bearer: format!("Bearer {}", sign_up(&todo.anonymous(version), "").await),
        };
        stranger.get(&format!("{other}/events")).await.problem(404);
    }
    todo.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_is_in_the_audit_log_after_its_response() {
    let todo = Todo::start().await;
    let client = todo.client(Version::Http1);
    let list = new_list(&client, "audited").await;
    let item = post(&client, &format!("{list}/items"), json!({ "title": "x" })).await;
    let item_id = item.json()["id"].as_str().unwrap().to_owned();
    patch(
        &client,
        item.header("location").unwrap(),
        None,
        json!({ "done": true }),
    )
    .await;
    // The log is written by background tasks once each response has gone: wait for them, a
    // hang guard only.
    let expected = ["item.updated", "item.created", "list.created"];
    let entries = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        loop {
            let log = client.get("/v1/users/me/audit").await.json();
            if log.as_array().unwrap().len() >= expected.len() {
                break log;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the audit log is written");
    let actions: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, expected);
    assert_eq!(entries[0]["target_id"], item_id.as_str());
    todo.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_is_csv_of_every_item_built_on_the_blocking_pool() {
    let todo = Todo::start().await;
    let client = todo.client(Version::Http1);
    let first = new_list(&client, "first").await;
    let second = new_list(&client, "second").await;
    for (list, title) in [
        (&first, "plain"),
        (&first, "with, a comma"),
        (&second, "with \"quotes\"\nand a line"),
    ] {
        post(&client, &format!("{list}/items"), json!({ "title": title })).await;
    }
    let export = client.get("/v1/export.csv").await;
    assert_eq!(export.status, 200, "{}", export.text());
    assert_eq!(
        export.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    assert!(
        export
            .header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    let text = export.text();
    let mut lines = text.split_inclusive('\n');
    assert_eq!(lines.next(), Some("list,item,done,created_at,updated_at\n"));
    assert!(text.contains(",plain,false,"), "{text}");
    assert!(text.contains(",\"with, a comma\",false,"), "{text}");
    assert!(
        text.contains(",\"with \"\"quotes\"\"\nand a line\",false,"),
        "{text}"
    );
    // Another user's export is empty but for the header; no token is a 401.
    let stranger = Session {
        client: todo.anonymous(Version::Http1),
        bearer: format!(
            "Bearer {}",
            sign_up(&todo.anonymous(Version::Http1), "").await
        ),
    };
    assert_eq!(
        stranger.get("/v1/export.csv").await.text(),
        "list,item,done,created_at,updated_at\n"
    );
    todo.anonymous(Version::Http1)
        .get("/v1/export.csv")
        .await
        .problem(401);
    // The document says where it runs.
    let document = todo::app(Config::new(DatabaseConfig::in_memory()))
        .openapi()
        .unwrap();
    assert_eq!(
        document["paths"]["/v1/export.csv"]["get"]["x-oxapi-dispatch"],
        "blocking-pool"
    );
    todo.stop().await;
}

/// The activity service the suggestion route calls, played by a local server.
mod activities {
    use std::sync::Arc;

    use oxapi::prelude::*;
    use oxapi::{Value, json};

    /// Lets the slow route answer at last: permits stay, so a call that arrives after the
    /// release is not held.
    pub(super) type Release = Arc<tokio::sync::Semaphore>;

    #[get("/activity")]
    async fn activity() -> Json<Value> {
        Json(json!({ "activity": "Learn to juggle", "type": "education" }))
    }

    #[get("/slow")]
    async fn slow(release: State<Release>) -> Json<Value> {
        let _ = release.acquire().await;
        Json(json!({ "activity": "too late" }))
    }

    #[get("/fail")]
    async fn fail() -> Result<Json<Value>, ApiError> {
        Err(ApiError::internal("down for maintenance"))
    }

    /// Suggests the request id it was called with.
    #[get("/echo-id")]
    async fn echo_id(#[header("x-request-id")] id: Option<String>) -> Json<Value> {
        Json(json!({ "activity": id.unwrap_or_else(|| "no id".to_owned()) }))
    }

    #[get("/nonsense")]
    async fn nonsense() -> &'static str {
        "<html>not an activity</html>"
    }

    #[get("/empty")]
    async fn empty() -> Json<Value> {
        Json(json!({ "activity": "   " }))
    }

    pub(super) fn app(release: Release) -> App {
        App::new()
            .state(release)
            .routes(routes![activity, slow, fail, nonsense, empty, echo_id])
    }
}

/// `GET /v1/suggestion` from a todo service calling `url`.
async fn suggestion_from(url: Option<String>) -> Reply {
    suggestion_with(url, &[]).await
}

/// [`suggestion_from`] with the request's `headers`.
async fn suggestion_with(url: Option<String>, headers: &[(&str, &str)]) -> Reply {
    let config = Config {
        upstream: todo::UpstreamConfig {
            suggestions_url: url,
            timeout: std::time::Duration::from_millis(500),
        },
        ..Config::new(DatabaseConfig::in_memory())
    };
    let server = Server::start(todo::app(config)).await;
    let anonymous = Client::new(&server, Version::Http1);
    let client = Session {
        bearer: format!("Bearer {}", sign_up(&anonymous, "").await),
        client: anonymous,
    };
    let reply = client
        .send(Method::GET, "/v1/suggestion", headers, "")
        .await;
    server.stop().await;
    reply
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suggestion_comes_from_the_upstream_service_and_each_failure_is_a_clear_problem() {
    let release = activities::Release::new(tokio::sync::Semaphore::new(0));
    let upstream = Server::start(activities::app(release.clone())).await;
    let at = |path: &str| Some(format!("http://{}{path}", upstream.addr()));

    let suggested = suggestion_from(at("/activity")).await;
    assert_eq!(suggested.status, 200, "{}", suggested.text());
    assert_eq!(suggested.json(), json!({ "title": "Learn to juggle" }));

    // The call carries the request's id, given or made up.
    let echoed = suggestion_with(at("/echo-id"), &[("x-request-id", "suggest-7c1")]).await;
    assert_eq!(echoed.json(), json!({ "title": "suggest-7c1" }));
    let made_up = suggestion_from(at("/echo-id")).await.json();
    let made_up = made_up["title"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(made_up).is_ok(), "{made_up}");

    // Too slow: 504 once the timeout passes, while the upstream still holds the request.
    let slow = suggestion_from(at("/slow")).await.problem(504);
    assert!(
        slow["detail"].as_str().unwrap().contains("in time"),
        "{slow}"
    );
    release.add_permits(tokio::sync::Semaphore::MAX_PERMITS / 2);
    for path in ["/fail", "/nonsense", "/empty"] {
        let problem = suggestion_from(at(path)).await.problem(502);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("suggestion service"),
            "{path}: {problem}"
        );
    }
    // Nothing listening.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let unreachable = suggestion_from(Some(format!("http://{closed}/activity")))
        .await
        .problem(502);
    assert!(
        unreachable["detail"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{unreachable}"
    );
    // None configured.
    suggestion_from(None).await.problem(503);
    upstream.stop().await;
}

/// Walks `collection` in `sort`'s order three at a time with its cursors, posting a new
/// element to it after the first page; checks every element there was at the start comes
/// exactly once.
async fn walk_with_cursors(client: &Session, collection: &str, sort: &str) {
    let everything = client
        .get(&format!("{collection}?limit=100&sort={sort}"))
        .await
        .json();
    assert!(everything["next_cursor"].is_null(), "{everything}");
    let expected: Vec<Value> = everything["items"].as_array().unwrap().clone();
    let mut seen = Vec::new();
    let mut path = format!("{collection}?limit=3&sort={sort}");
    let mut added = false;
    loop {
        let page = client.get(&path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.text());
        let page = page.json();
        seen.extend(page["items"].as_array().unwrap().iter().cloned());
        // One added after the first page shows up at the end (by creation) or not at all; it
        // never shifts what is left, as an offset would.
        if !added {
            post(
                client,
                collection,
                json!({ "title": unique(&format!("late {sort}")) }),
            )
            .await;
            added = true;
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("{collection}?limit=3&sort={sort}&cursor={cursor}"),
            None => break,
        }
    }
    let ids: std::collections::HashSet<String> =
        seen.iter().map(|item| item["id"].to_string()).collect();
    assert_eq!(
        ids.len(),
        seen.len(),
        "{collection} by {sort}: one came twice"
    );
    for item in &expected {
        assert!(
            seen.contains(item),
            "{collection} by {sort}: {item} was skipped"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_walks_every_page_once_while_items_are_added() {
    let todo = Todo::start().await;
    let client = todo.client(Version::Http1);
    let list = new_list(&client, "cursor").await;
    let items = format!("{list}/items");
    // Titles repeat, so the title orders need the id to break ties.
    for title in ["b", "a", "c", "a", "b", "c", "a"] {
        post(&client, &items, json!({ "title": title })).await;
    }
    for n in 0..4 {
        new_list(&client, &format!("cursor {n}")).await;
    }
    for sort in ["created", "-created", "title", "-title"] {
        walk_with_cursors(&client, &items, sort).await;
        walk_with_cursors(&client, "/v1/lists", sort).await;
    }
    // A cursor of another order, a forged one, or with an offset: 400.
    let first = client.get(&format!("{items}?limit=2")).await.json();
    let cursor = first["next_cursor"].as_str().unwrap();
    for query in [
        format!("limit=2&sort=title&cursor={cursor}"),
        "limit=2&cursor=bm90LWEtY3Vyc29y".to_owned(),
        format!("limit=2&offset=2&cursor={cursor}"),
    ] {
        client.get(&format!("{items}?{query}")).await.problem(400);
    }
    todo.stop().await;
}
