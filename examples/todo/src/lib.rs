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
//! - every failure as RFC 9457 problem details: 400, 401, 403, 404, 409, 412, 422.
//!
//! Handlers are `async fn`s: every database call awaits on the event loop, and none blocks it;
//! the CPU work of passwords runs on the blocking pool.

pub mod api;
pub mod auth;
pub mod config;
pub mod feed;
pub mod model;
pub mod page;
pub mod repo;
pub mod upstream;

use oxapi::prelude::*;
use oxapi::{ContactInfo, Lifespan};

pub use auth::AuthConfig;
pub use config::{Config, DatabaseConfig};
pub use repo::{ConnectError, Repository};
pub use upstream::UpstreamConfig;

/// The app's store, as handlers read it: `State<Store>`.
pub type Store = Box<dyn Repository>;

/// The database as a lifespan resource: opened and migrated before the first request, its
/// pool closed after the last.
#[derive(Debug, Clone)]
pub struct Database {
    config: DatabaseConfig,
}

impl Database {
    /// The database `config` names.
    pub fn new(config: DatabaseConfig) -> Self {
        Self { config }
    }
}

impl Lifespan for Database {
    type State = Store;
    type Error = ConnectError;

    async fn startup(&self) -> Result<Store, ConnectError> {
        repo::connect(&self.config).await
    }

    async fn shutdown(&self, store: std::sync::Arc<Store>) -> Result<(), ConnectError> {
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
        .state(feed::Feed::default())
        .state(suggestions)
        .lifespan(Database::new(config.database))
        .router(api::router())
        .routes(routes![page::front_page])
}
