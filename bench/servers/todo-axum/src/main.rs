//! `examples/todo`'s API on axum 0.8 + sqlx, PostgreSQL only: the routes the todo benchmark
//! uses (`bench/run.py todo`), written as an axum user writes them, against the same schema
//! and with the same SQL statements, transactions, JSON shapes, statuses and problem+json
//! errors as oxapi's todo on PostgreSQL.
//!
//! ```text
//! bench-todo-axum --database-url postgres://… --jwt-secret SECRET [--bind ADDR] [--max-connections N]
//! ```
//!
//! The schema is oxapi's todo's (its migrations): the benchmark starts oxapi's todo once to
//! migrate the database before this server connects. One tokio worker thread, as every other
//! Rust server of the benchmark (under `taskset -c 0`, oxapi's todo gets one as well); a pool
//! of 10 connections, as oxapi's todo by default.

mod auth;
mod error;
mod extract;
mod items;
mod lists;
mod model;
mod sql;
mod users;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::auth::Keys;

/// What every handler can reach: the pool and the token keys.
#[derive(Clone)]
pub struct AppState {
    pool: PgPool,
    keys: Arc<Keys>,
}

impl FromRef<AppState> for PgPool {
    fn from_ref(state: &AppState) -> Self {
        state.pool.clone()
    }
}

impl FromRef<AppState> for Arc<Keys> {
    fn from_ref(state: &AppState) -> Self {
        state.keys.clone()
    }
}

/// The command line.
struct Args {
    database_url: String,
    jwt_secret: String,
    bind: std::net::SocketAddr,
    max_connections: u32,
}

const USAGE: &str = "usage: bench-todo-axum --database-url URL --jwt-secret SECRET [--bind ADDR] [--max-connections N]";

fn args() -> Result<Args, String> {
    let mut database_url = None;
    let mut jwt_secret = None;
    let mut bind = "127.0.0.1:8000".to_owned();
    let mut max_connections = "10".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
            None => (arg.clone(), None),
        };
        let value = inline
            .or_else(|| args.next())
            .ok_or_else(|| format!("`{name}` needs a value"))?;
        match name.as_str() {
            "--database-url" => database_url = Some(value),
            "--jwt-secret" => jwt_secret = Some(value),
            "--bind" => bind = value,
            "--max-connections" => max_connections = value,
            _ => return Err(format!("unexpected argument `{arg}`")),
        }
    }
    Ok(Args {
        database_url: database_url.ok_or("--database-url is required")?,
        jwt_secret: jwt_secret.ok_or("--jwt-secret is required")?,
        bind: bind
            .parse()
            .map_err(|_| format!("--bind needs IP:PORT, not `{bind}`"))?,
        max_connections: max_connections
            .parse()
            .map_err(|_| format!("--max-connections needs a number, not `{max_connections}`"))?,
    })
}

/// The API's routes.
fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/users", post(users::sign_up))
        .route("/v1/token", post(users::issue_token))
        .route("/v1/lists", post(lists::create_list))
        .route(
            "/v1/lists/{list_id}/items",
            get(items::list_items).post(items::create_item),
        )
        .route(
            "/v1/lists/{list_id}/items/{item_id}",
            get(items::read_item).patch(items::update_item),
        )
        .fallback(error::not_found)
        .with_state(state)
}

fn main() -> std::process::ExitCode {
    let args = match args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let pool = PgPoolOptions::new()
            .max_connections(args.max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect(&args.database_url)
            .await
            .expect("cannot connect to the database");
        let state = AppState {
            pool,
            keys: Arc::new(Keys::new(args.jwt_secret.as_bytes())),
        };
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_reuseaddr(true).expect("SO_REUSEADDR");
        socket.bind(args.bind).expect("bind");
        let listener = socket.listen(4096).expect("listen").tap_io(|stream| {
            let _ = stream.set_nodelay(true);
        });
        axum::serve(listener, router(state)).await.expect("serve");
    });
    std::process::ExitCode::SUCCESS
}
