//! `examples/todo` past one instance: webhook deliveries as durable jobs (apalis, in the same
//! database), the admin route counting them, and the change feed across instances
//! (PostgreSQL's LISTEN/NOTIFY). Real servers on real sockets, on SQLite in a temporary file
//! or on the PostgreSQL `$DATABASE_URL` names, delivering to a real local receiver.
//!
//! Each test uses a queue of its own (`--jobs-queue`), so tests sharing one PostgreSQL can
//! count their jobs exactly. Conditions are polled with a deadline, never slept on.

use std::collections::BTreeSet;
use std::future::Future;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use http::Method;
use oxapi_tests::{Client, Reply, Server, Version};
use serde_json::{Value, json};
use tempfile::TempDir;
use todo::{AuthConfig, Config, DatabaseConfig, JobsConfig};

const JSON: (&str, &str) = ("content-type", "application/json");

/// The key every test instance signs tokens with, so that a token from one is good on another.
const SECRET: &str = "the secret every instance of the tests shares";

/// The admin routes' token in these tests.
const ADMIN: &str = "admin-token-of-the-tests";

/// How long a condition may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(30);

/// Polls `check` until it gives a value, failing after [`DEADLINE`].
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The webhook receiver: counts deliveries by `Idempotency-Key`, and can be told to fail
/// calls or to hold one open.
mod receiver {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use oxapi::prelude::*;
    use oxapi::{StatusCode, Value};

    /// One call as it came.
    #[derive(Debug, Clone)]
    pub(super) struct Call {
        pub(super) key: String,
        pub(super) body: Value,
        /// What it was answered (or will be, once a held call is released).
        pub(super) status: u16,
    }

    /// What the receiver saw and how it answers.
    #[derive(Debug)]
    pub(super) struct Receiver {
        pub(super) calls: Mutex<Vec<Call>>,
        /// The next calls to answer 500, one less each call.
        pub(super) fail_next: AtomicUsize,
        /// Answer 500 to every call.
        pub(super) fail_all: AtomicBool,
        /// Hold the next call open until `release` has a permit.
        pub(super) hold_next: AtomicBool,
        pub(super) held: AtomicUsize,
        pub(super) release: tokio::sync::Semaphore,
    }

    impl Default for Receiver {
        fn default() -> Self {
            Self {
                calls: Mutex::default(),
                fail_next: AtomicUsize::new(0),
                fail_all: AtomicBool::new(false),
                hold_next: AtomicBool::new(false),
                held: AtomicUsize::new(0),
                release: tokio::sync::Semaphore::new(0),
            }
        }
    }

    impl Receiver {
        pub(super) fn calls(&self) -> Vec<Call> {
            self.calls.lock().unwrap().clone()
        }

        /// The distinct keys of the calls answered 2xx: what the receiver acted on.
        pub(super) fn delivered(&self) -> std::collections::BTreeSet<String> {
            self.calls()
                .into_iter()
                .filter(|call| call.status == 200)
                .map(|call| call.key)
                .collect()
        }
    }

    /// The receiver as app state, shared with the test.
    #[derive(Debug)]
    struct Shared(std::sync::Arc<Receiver>);

    #[post("/hook")]
    async fn hook(
        shared: State<Shared>,
        #[header] idempotency_key: String,
        body: Json<Value>,
    ) -> StatusCode {
        let receiver = &shared.0.0;
        let hold = receiver.hold_next.swap(false, Ordering::SeqCst);
        let fail = receiver.fail_all.load(Ordering::SeqCst)
            || receiver
                .fail_next
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
        let status = if fail && !hold {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::OK
        };
        receiver.calls.lock().unwrap().push(Call {
            key: idempotency_key,
            body: body.0,
            status: status.as_u16(),
        });
        if hold {
            receiver.held.fetch_add(1, Ordering::SeqCst);
            let _ = receiver.release.acquire().await;
        }
        status
    }

    pub(super) fn app(receiver: std::sync::Arc<Receiver>) -> App {
        App::new().state(Shared(receiver)).routes(routes![hook])
    }
}

use receiver::Receiver;

/// A running receiver.
struct Hooks {
    server: Server,
    receiver: Arc<Receiver>,
}

impl Hooks {
    async fn start() -> Self {
        let receiver = Arc::new(Receiver::default());
        let server = Server::start(receiver::app(Arc::clone(&receiver))).await;
        Self { server, receiver }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.server.addr())
    }

    async fn stop(self) {
        self.receiver
            .release
            .add_permits(tokio::sync::Semaphore::MAX_PERMITS / 2);
        self.server.stop().await;
    }
}

/// The database of a test: `$DATABASE_URL`'s, or a SQLite file in a directory of its own
/// (which several instances can share).
struct Database {
    url: String,
    _dir: Option<TempDir>,
}

impl Database {
    fn new() -> Self {
        match std::env::var("DATABASE_URL") {
            Ok(url) if !url.is_empty() => Self { url, _dir: None },
            _ => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("todo.db").display());
                Self {
                    url,
                    _dir: Some(dir),
                }
            }
        }
    }

    fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres")
    }
}

/// Jobs delivered to `hooks` on a queue of the test's own, with short timings.
fn jobs(hooks: &Hooks, max_attempts: u32) -> JobsConfig {
    JobsConfig {
        webhook_url: Some(hooks.url()),
        queue: format!("tests.{}", uuid::Uuid::new_v4()),
        max_attempts,
        backoff: Duration::from_millis(20),
        timeout: Duration::from_secs(10),
        heartbeat: Duration::from_millis(250),
        poll: Duration::from_millis(50),
    }
}

/// The service's configuration on `database` with `jobs`.
fn config(database: &Database, jobs: JobsConfig) -> Config {
    Config {
        auth: AuthConfig::new(SECRET),
        ephemeral_secret: false,
        jobs,
        admin_token: Some(ADMIN.to_owned()),
        ..Config::new(DatabaseConfig::url(database.url.clone()))
    }
}

/// A signed-in user's requests to one instance.
#[derive(Clone)]
struct User {
    client: Client,
    bearer: String,
}

impl User {
    async fn sign_up(server: &Server) -> Self {
        let client = Client::new(server, Version::Http1);
        let token = super::sign_up(&client, "").await;
        Self {
            client,
            bearer: format!("Bearer {token}"),
        }
    }

    /// The same user on another instance.
    fn on(&self, server: &Server) -> Self {
        Self {
            client: Client::new(server, Version::Http1),
            bearer: self.bearer.clone(),
        }
    }

    async fn send(&self, method: Method, path: &str, body: Value) -> Reply {
        self.client
            .send(
                method,
                path,
                &[JSON, ("authorization", &self.bearer)],
                body.to_string(),
            )
            .await
    }

    /// Makes a list and returns its items' path.
    async fn new_list(&self) -> String {
        let title = format!("jobs {}", uuid::Uuid::new_v4());
        let made = self
            .send(Method::POST, "/v1/lists", json!({ "title": title }))
            .await;
        assert_eq!(made.status, 201, "{}", made.text());
        format!("/v1/lists/{}/items", made.json()["id"].as_str().unwrap())
    }
}

/// `GET /v1/admin/jobs` with the admin token.
async fn job_counts(server: &Server) -> Value {
    let reply = Client::new(server, Version::Http1)
        .send(
            Method::GET,
            "/v1/admin/jobs",
            &[("authorization", &format!("Bearer {ADMIN}"))],
            "",
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

/// Waits until the queue's counts are `expected` (`pending`, `running`, `done`, `failed`,
/// `dead`).
async fn wait_for_counts(server: &Server, expected: [u64; 5]) -> Value {
    eventually(&format!("job counts {expected:?}"), || async {
        let counts = job_counts(server).await;
        let now = ["pending", "running", "done", "failed", "dead"]
            .map(|state| counts[state].as_u64().unwrap_or(u64::MAX));
        (now == expected).then_some(counts)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_then_completed_item_is_delivered_once_each_with_its_idempotency_key() {
    let hooks = Hooks::start().await;
    let database = Database::new();
    let todo = Server::start(todo::app(config(&database, jobs(&hooks, 5)))).await;
    let user = User::sign_up(&todo).await;
    let items = user.new_list().await;

    let made = user
        .send(Method::POST, &items, json!({ "title": "milk" }))
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    let item = made.json();
    let first = eventually("the creation's delivery", || async {
        hooks.receiver.calls().first().cloned()
    })
    .await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body["event"], "item.created");
    assert_eq!(first.body["item"], item);
    assert_eq!(first.key, first.body["id"].as_str().unwrap());
    assert_eq!(first.body["user_id"].as_str().map(str::len), Some(36));

    // A change that does not complete it sends nothing; completing it does, once.
    let path = format!("{items}/{}", item["id"].as_str().unwrap());
    let renamed = user
        .send(Method::PATCH, &path, json!({ "title": "oat milk" }))
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    let done = user
        .send(Method::PATCH, &path, json!({ "done": true }))
        .await;
    assert_eq!(done.status, 200, "{}", done.text());
    let again = user
        .send(Method::PATCH, &path, json!({ "done": true }))
        .await;
    assert_eq!(again.status, 200, "{}", again.text());
    let counts = wait_for_counts(&todo, [0, 0, 2, 0, 0]).await;
    let calls = hooks.receiver.calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[1].body["event"], "item.completed");
    assert_eq!(calls[1].body["item"]["done"], true);
    assert_eq!(calls[1].body["item"]["version"], 3);
    assert_ne!(calls[0].key, calls[1].key);
    assert_eq!(hooks.receiver.delivered().len(), 2);
    assert!(counts["queue"].as_str().unwrap().starts_with("tests."));

    todo.stop().await;
    hooks.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_webhook_is_retried_with_backoff_and_then_delivered() {
    let hooks = Hooks::start().await;
    hooks.receiver.fail_next.store(2, Ordering::SeqCst);
    let database = Database::new();
    let todo = Server::start(todo::app(config(&database, jobs(&hooks, 5)))).await;
    let user = User::sign_up(&todo).await;
    let items = user.new_list().await;
    let made = user
        .send(Method::POST, &items, json!({ "title": "bread" }))
        .await;
    assert_eq!(made.status, 201, "{}", made.text());

    wait_for_counts(&todo, [0, 0, 1, 0, 0]).await;
    let calls = hooks.receiver.calls();
    let statuses: Vec<u16> = calls.iter().map(|call| call.status).collect();
    assert_eq!(statuses, [500, 500, 200]);
    // Every attempt is the same delivery: same key, same body.
    assert!(
        calls
            .iter()
            .all(|call| call.key == calls[0].key && call.body == calls[0].body)
    );
    assert_eq!(hooks.receiver.delivered().len(), 1);

    todo.stop().await;
    hooks.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_failing_every_attempt_ends_dead_and_the_admin_route_counts_it() {
    let hooks = Hooks::start().await;
    hooks.receiver.fail_all.store(true, Ordering::SeqCst);
    let database = Database::new();
    let todo = Server::start(todo::app(config(&database, jobs(&hooks, 3)))).await;
    let user = User::sign_up(&todo).await;
    let items = user.new_list().await;
    user.send(Method::POST, &items, json!({ "title": "eggs" }))
        .await;

    wait_for_counts(&todo, [0, 0, 0, 0, 1]).await;
    let calls = hooks.receiver.calls();
    assert_eq!(
        calls.len(),
        3,
        "exactly --webhook-max-attempts tries: {calls:?}"
    );
    assert!(hooks.receiver.delivered().is_empty());

    // The route wants the admin token: none or another is a 401 with the bearer challenge.
    let client = Client::new(&todo, Version::Http1);
    for authorization in [
        None,
        Some("Bearer not-the-token"),
        Some(user.bearer.as_str()),
    ] {
        let headers: Vec<(&str, &str)> = authorization
            .map(|value| ("authorization", value))
            .into_iter()
            .collect();
        let refused = client
            .send(Method::GET, "/v1/admin/jobs", &headers, "")
            .await;
        refused.problem(401);
        assert!(
            refused
                .header("www-authenticate")
                .is_some_and(|c| c.starts_with("Bearer"))
        );
    }
    todo.stop().await;

    // Without an admin token the route is not there.
    let unadministered = Config {
        admin_token: None,
        ..config(&database, JobsConfig::default())
    };
    let todo = Server::start(todo::app(unadministered)).await;
    Client::new(&todo, Version::Http1)
        .send(
            Method::GET,
            "/v1/admin/jobs",
            &[("authorization", &format!("Bearer {ADMIN}"))],
            "",
        )
        .await
        .problem(404);
    // Without credentials, 401 all the same, as the document says.
    Client::new(&todo, Version::Http1)
        .get("/v1/admin/jobs")
        .await
        .problem(401);
    todo.stop().await;
    hooks.stop().await;
}

/// Makes every job insert of `marker`'s delivery fail in `database` (a trigger on apalis's
/// table): a write that enqueues one then fails as a whole.
async fn reject_jobs_carrying(database: &Database, marker: &str) {
    if database.is_postgres() {
        let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
        // The function and trigger are the test's own; replaced on every run.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE OR REPLACE FUNCTION apalis.todo_tests_reject() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'rejected by the test'; END; $$ LANGUAGE plpgsql; \
             DROP TRIGGER IF EXISTS todo_tests_reject ON apalis.jobs; \
             CREATE TRIGGER todo_tests_reject BEFORE INSERT ON apalis.jobs FOR EACH ROW \
             WHEN (position('{marker}'::bytea in NEW.job) > 0) \
             EXECUTE FUNCTION apalis.todo_tests_reject();"
        )))
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(&database.url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE TRIGGER todo_tests_reject BEFORE INSERT ON Jobs \
             WHEN instr(CAST(NEW.job AS BLOB), CAST('{marker}' AS BLOB)) > 0 \
             BEGIN SELECT RAISE(ABORT, 'rejected by the test'); END;"
        )))
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_job_is_enqueued_in_the_writes_transaction_so_a_failed_write_leaves_neither() {
    let hooks = Hooks::start().await;
    let database = Database::new();
    let todo = Server::start(todo::app(config(&database, jobs(&hooks, 5)))).await;
    let user = User::sign_up(&todo).await;
    let items = user.new_list().await;
    let marker = format!("refused-{}", uuid::Uuid::new_v4().simple());
    reject_jobs_carrying(&database, &marker).await;

    // The job's insert fails after the item's: the transaction rolls back, both are gone.
    let refused = user
        .send(Method::POST, &items, json!({ "title": marker }))
        .await;
    refused.problem(500);
    let page = user.send(Method::GET, &items, json!(null)).await.json();
    assert_eq!(page["total"], 0, "{page}");
    // A write that fails before its job (no such list) enqueues nothing either.
    user.send(
        Method::POST,
        &format!("/v1/lists/{}/items", uuid::Uuid::nil()),
        json!({ "title": "nowhere" }),
    )
    .await
    .problem(404);
    let counts = job_counts(&todo).await;
    for state in ["pending", "running", "done", "failed", "dead"] {
        assert_eq!(counts[state], 0, "{counts}");
    }

    // The next write goes through, with its job.
    let made = user
        .send(Method::POST, &items, json!({ "title": "allowed" }))
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    wait_for_counts(&todo, [0, 0, 1, 0, 0]).await;
    let calls = hooks.receiver.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].body["item"]["title"], "allowed");
    todo.stop().await;
    hooks.stop().await;
}

/// The todo service as a child process (the `todo-server` binary of this package), killed
/// when dropped.
struct Process {
    child: Child,
    addr: SocketAddr,
}

impl Process {
    fn start(config: &Config, database: &Database) -> Self {
        let jobs = &config.jobs;
        let millis = |duration: Duration| duration.as_millis().to_string();
        let mut child = Command::new(env!("CARGO_BIN_EXE_todo-server"))
            .args(["--bind", "127.0.0.1:0", "--database-url", &database.url])
            .args(["--jwt-secret", SECRET, "--admin-token", ADMIN])
            .args(["--webhook-url", jobs.webhook_url.as_deref().unwrap()])
            .args(["--jobs-queue", &jobs.queue])
            .args(["--webhook-max-attempts", &jobs.max_attempts.to_string()])
            .args(["--webhook-backoff-ms", &millis(jobs.backoff)])
            .args(["--jobs-heartbeat-ms", &millis(jobs.heartbeat)])
            .args(["--jobs-poll-ms", &millis(jobs.poll)])
            .env_remove("OXAPI_BIND")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start todo-server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("read the listening line");
        let addr = line
            .trim()
            .rsplit("://")
            .next()
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Self { child, addr }
    }

    /// `POST path` with a JSON body and `bearer`, over a plain HTTP/1.1 connection.
    async fn post(&self, path: &str, bearer: &str, body: Value) -> Value {
        let body = body.to_string();
        let request = format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: \
             application/json\r\nauthorization: {bearer}\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        let response = oxapi_tests::raw(self.addr, request.as_bytes()).await;
        assert!(response.starts_with("HTTP/1.1 201"), "{response}");
        serde_json::from_str(response.split("\r\n\r\n").nth(1).unwrap_or("")).unwrap()
    }

    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_whose_worker_is_killed_mid_call_is_made_by_another_instance() {
    let hooks = Hooks::start().await;
    hooks.receiver.hold_next.store(true, Ordering::SeqCst);
    let database = Database::new();
    let config = config(&database, jobs(&hooks, 5));
    // Instance A, a process: the only worker until the receiver holds its call.
    let mut first = Process::start(&config, &database);
    let user = {
        // Signed up through an instance without a worker of its own (no webhook).
        let bystander = Server::start(todo::app(Config {
            jobs: JobsConfig::default(),
            ..config.clone()
        }))
        .await;
        let user = User::sign_up(&bystander).await;
        bystander.stop().await;
        user
    };
    let list = first
        .post("/v1/lists", &user.bearer, json!({ "title": "kill" }))
        .await;
    let items = format!("/v1/lists/{}/items", list["id"].as_str().unwrap());
    let item = first
        .post(&items, &user.bearer, json!({ "title": "survive" }))
        .await;
    eventually("A's call, held by the receiver", || async {
        (hooks.receiver.held.load(Ordering::SeqCst) == 1).then_some(())
    })
    .await;

    // A dies mid-call; B, started now, finds the job orphaned once A's heartbeats stop.
    first.kill();
    let second = Server::start(todo::app(config.clone())).await;
    let calls = eventually("B's delivery", || async {
        let calls = hooks.receiver.calls();
        (calls.len() == 2).then_some(calls)
    })
    .await;
    assert_eq!(calls[0].key, calls[1].key, "the same delivery, sent again");
    assert_eq!(calls[1].body["item"], item);
    // At least once, and once for the receiver that deduplicates by key.
    assert_eq!(hooks.receiver.delivered().len(), 1);
    wait_for_counts(&second, [0, 0, 1, 0, 0]).await;
    second.stop().await;
    hooks.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_through_one_instance_reaches_a_subscriber_of_another_in_order() {
    let database = Database::new();
    if !database.is_postgres() {
        println!(
            "skipped: the feed crosses instances on PostgreSQL only; $DATABASE_URL names none"
        );
        return;
    }
    let config = config(&database, JobsConfig::default());
    let a = Server::start(todo::app(config.clone())).await;
    let b = Server::start(todo::app(config)).await;
    let on_a = User::sign_up(&a).await;
    let on_b = on_a.on(&b);
    let items = on_a.new_list().await;
    let list = items.trim_end_matches("/items").to_owned();
    let mut feed = on_b
        .client
        .open(
            &format!("{list}/events"),
            &[("authorization", &on_b.bearer)],
        )
        .await;
    assert_eq!(feed.response.status(), 200);
    let mut buffer = String::new();

    let made = on_a
        .send(Method::POST, &items, json!({ "title": "first" }))
        .await;
    let item = format!("{items}/{}", made.json()["id"].as_str().unwrap());
    let second = on_a
        .send(Method::POST, &items, json!({ "title": "second" }))
        .await;
    let done = on_a
        .send(Method::PATCH, &item, json!({ "done": true }))
        .await;
    on_a.send(Method::DELETE, &item, json!(null)).await;
    on_a.send(Method::DELETE, &list, json!(null)).await;

    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(super::next_any_event(&mut feed, &mut buffer).await);
    }
    let names: Vec<&str> = seen.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "item.created",
            "item.created",
            "item.updated",
            "item.deleted",
            "list.deleted"
        ]
    );
    assert_eq!(seen[0].1["item"], made.json());
    assert_eq!(seen[1].1["item"], second.json());
    assert_eq!(seen[2].1["item"], done.json());
    // A's own subscriber sees the same, through the same path.
    a.stop().await;
    b.stop().await;
}

/// The receiver dedups by key; check its own bookkeeping once, so the tests above can trust it.
#[test]
fn the_receiver_counts_a_key_once() {
    let receiver = Receiver::default();
    for (key, status) in [("a", 500), ("a", 200), ("a", 200), ("b", 200)] {
        receiver.calls.lock().unwrap().push(receiver::Call {
            key: key.to_owned(),
            body: Value::Null,
            status,
        });
    }
    assert_eq!(
        receiver.delivered(),
        BTreeSet::from(["a".to_owned(), "b".to_owned()])
    );
}
