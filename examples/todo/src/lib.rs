//! The todo service: oxapi's main example.
//!
//! Todo lists and their items over HTTP, stored in SQLite by default (a file under `./data`,
//! or memory with `--memory`) or in PostgreSQL when `DATABASE_URL` names one. What it shows:
//!
//! - one [`Repository`] trait with a SQLite and a PostgreSQL implementation, both running
//!   the same parameterized SQL through sqlx's runtime functions;
//! - the database opened and migrated by a startup hook ([`Database`], an oxapi
//!   [`Lifespan`]), its pool closed after the last request;
//! - users who sign up and sign in with the OAuth2 password flow: passwords hashed with
//!   Argon2id on the blocking pool, signed JWT access tokens with read and write scopes;
//! - CRUD with validated models, pages (`limit`/`offset`), a `done` filter and sorting;
//! - optimistic concurrency: every read carries the row's version as its `ETag`, and a write
//!   with `If-Match` is refused with 412 if someone changed the row first;
//! - every failure as RFC 9457 problem details: 400, 401, 403, 404, 409, 412, 422;
//! - durable webhook deliveries on apalis's queue, enqueued in the write's transaction
//!   ([`jobs`]), and on PostgreSQL a change feed across instances through LISTEN/NOTIFY
//!   ([`feed`]).
//!
//! Handlers are `async fn`s: every database call awaits on the event loop, and none blocks it;
//! the CPU work of passwords runs on the blocking pool.

pub mod api;
pub mod auth;
pub mod config;
pub mod feed;
pub mod jobs;
pub mod model;
pub mod page;
pub mod repo;
pub mod upstream;

use std::sync::{Arc, Mutex};

use oxapi::prelude::*;
use oxapi::{ContactInfo, Lifespan};

pub use auth::AuthConfig;
pub use config::{Config, DatabaseConfig};
pub use jobs::JobsConfig;
pub use repo::{ConnectError, Repository};
pub use upstream::UpstreamConfig;

use feed::Feed;
use feed::listener::Listener;
use jobs::worker::RunningWorker;
use repo::Effects;

/// The app's store, as handlers read it: `State<Store>`.
pub type Store = Box<dyn Repository>;

/// The database as a lifespan resource: opened and migrated before the first request, with
/// the tasks that work on it (the webhook worker, the feed's listener on PostgreSQL); after
/// the last request and background task, those stop and then the pool closes.
#[derive(Debug)]
pub struct Database {
    config: DatabaseConfig,
    effects: Effects,
    jobs: JobsConfig,
    feed: Feed,
    running: Mutex<Option<Running>>,
}

/// What runs beside the requests while the app is up.
#[derive(Debug)]
struct Running {
    worker: Option<RunningWorker>,
    listener: Option<Listener>,
}

impl Database {
    /// The database `config` names, with its writes' effects and the tasks `config` asks for;
    /// on PostgreSQL, the feed's listener forwards into `feed`.
    pub fn new(config: &Config, feed: Feed) -> Self {
        Self {
            config: config.database.clone(),
            effects: effects(config),
            jobs: config.jobs.clone(),
            feed,
            running: Mutex::new(None),
        }
    }
}

/// What writes do besides their rows, as `config` says.
fn effects(config: &Config) -> Effects {
    Effects {
        notify: repo::is_postgres(&config.database.url),
        deliveries: config
            .jobs
            .webhook_url
            .as_ref()
            .map(|_| config.jobs.max_attempts),
        queue: config.jobs.queue.clone(),
    }
}

impl Lifespan for Database {
    type State = Store;
    type Error = ConnectError;

    async fn startup(&self) -> Result<Store, ConnectError> {
        // On PostgreSQL the feed's listener holds a pooled connection for good, and so does
        // the job worker's (apalis's insert notifications); requests need one more.
        if self.effects.notify {
            let needed = 2 + u32::from(self.effects.deliveries.is_some());
            if self.config.max_connections < needed {
                return Err(ConnectError::PoolTooSmall(needed));
            }
        }
        let connected = repo::connect(&self.config, self.effects.clone()).await?;
        let worker = jobs::worker::start(connected.jobs, &self.jobs).map_err(ConnectError::Jobs)?;
        let listener = match connected.postgres {
            Some(repo) => Some(
                Listener::start(repo, self.feed.clone())
                    .await
                    .map_err(ConnectError::Connect)?,
            ),
            None => None,
        };
        let running = Running { worker, listener };
        *self
            .running
            .lock()
            .unwrap_or_else(|poison| poison.into_inner()) = Some(running);
        Ok(connected.store)
    }

    async fn shutdown(&self, store: Arc<Store>) -> Result<(), ConnectError> {
        let running = self
            .running
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .take();
        if let Some(running) = running {
            // The worker first: it finishes (or gives back) the delivery in flight on the
            // pool that closes below.
            if let Some(worker) = running.worker {
                worker.stop().await;
            }
            if let Some(listener) = running.listener {
                listener.stop().await;
            }
        }
        store.close().await;
        Ok(())
    }
}

/// The service, as `config` says.
///
/// # Panics
///
/// If the HTTP client for the suggestion service cannot be built (no TLS roots can be read).
pub fn app(config: Config) -> App {
    let suggestions = upstream::Suggestions::new(&config.upstream)
        .unwrap_or_else(|error| panic!("cannot build the HTTP client: {error}"));
    let feed = if repo::is_postgres(&config.database.url) {
        Feed::across_instances()
    } else {
        Feed::local()
    };
    App::new()
        .title("Todo API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(
            "oxapi's main example: users and their todo lists, on SQLite by default and \
             PostgreSQL by URL. Sign up with `POST /v1/users`, then get a token from \
             `POST /v1/token` (the Authorize button here does it). Reads carry an `ETag`; \
             writes with `If-Match` are refused with 412 when the row changed first.",
        )
        .tag("users", "Signing up and signing in.")
        .tag("lists", "Todo lists.")
        .tag("items", "The things to do on a list.")
        .tag("admin", "Operating the service: the job queue.")
        .server(
            "http://127.0.0.1:8000",
            "A local run of `cargo run -p todo`.",
        )
        .contact(ContactInfo {
            name: Some("oxapi".into()),
            url: None,
            email: None,
        })
        .state(auth::Keys::new(&config.auth))
        .state(api::admin::AdminToken(config.admin_token.clone()))
        .state(feed.clone())
        .state(suggestions)
        .lifespan(Database::new(&config, feed))
        .router(api::router())
        .routes(routes![page::front_page])
}

/// The service's command line: `todo [its options] [oxapi's options]`, or `todo openapi`.
/// The `todo` binary is this function; tests run it as a process of their own.
pub fn main() -> std::process::ExitCode {
    use config::Env;
    match config::parse(std::env::args().skip(1), Env::from_process()) {
        Ok((config, rest)) => {
            let help = rest.iter().any(|arg| arg == "--help" || arg == "-h");
            if help {
                // The service's own options, before oxapi prints its usage and exits.
                println!("{}\n", config::USAGE);
            }
            let serving = !help && !rest.iter().any(|arg| arg == "openapi");
            if config.ephemeral_secret && serving {
                eprintln!(
                    "warning: no --jwt-secret or $TODO_JWT_SECRET: tokens are signed with a key \
                     made up now; they end with this process and other instances refuse them"
                );
            }
            app(config).run_with_args(rest)
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{}", config::USAGE);
            std::process::ExitCode::from(2)
        }
    }
}
