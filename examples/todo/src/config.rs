//! The service's configuration, from its command line and environment only.
//!
//! ```text
//! todo [--database-url URL | --memory] [--data-dir DIR] [--max-connections N]
//!      [--jwt-secret SECRET] [oxapi's options]
//! ```
//!
//! - `--database-url URL` (or `$DATABASE_URL`): `sqlite:…` or `postgres://…`.
//! - `--memory`: an in-memory SQLite database, gone when the process ends (for tests and
//!   demos; the same as `DATABASE_URL=sqlite::memory:`).
//! - With neither, a SQLite file `todo.db` in `--data-dir` (or `$TODO_DATA_DIR`; default
//!   `./data`), both made if missing.
//! - `--max-connections N` (or `$DATABASE_MAX_CONNECTIONS`): the pool's size (default 10).
//! - `--jwt-secret SECRET` (or `$TODO_JWT_SECRET`): the key access tokens are signed with,
//!   shared by every instance. Without it, a key made up at startup: tokens end with the
//!   process.
//! - `--suggestions-url URL` (or `$TODO_SUGGESTIONS_URL`): the activity service behind
//!   `GET /v1/suggestion`; `--upstream-timeout SECONDS` bounds each call (default 2).
//! - `--webhook-url URL` (or `$TODO_WEBHOOK_URL`): where each item creation and completion is
//!   posted, as a durable job ([`crate::jobs`]); `--webhook-max-attempts N` (default 5),
//!   `--webhook-backoff-ms MS` (the first retry's delay, doubled at each one; default 1000),
//!   `--webhook-timeout SECONDS` (one call; default 10), `--jobs-heartbeat-ms MS` (how often
//!   a worker says it is alive; its jobs go to another instance after three missed; default
//!   10000) and `--jobs-poll-ms MS` (how often idle workers look for jobs they were not told
//!   of; default 1000); `--jobs-queue NAME` (the queue's name in the database; default
//!   `todo.webhook-deliveries`).
//! - `--admin-token TOKEN` (or `$TODO_ADMIN_TOKEN`): the bearer token of `GET
//!   /v1/admin/jobs`; without it, that route answers 404.
//!
//! Every other argument is [`App::run`](oxapi::App::run)'s (`--bind`, `--workers`, `openapi`, …).

use std::path::PathBuf;

use std::time::Duration;

use crate::auth::AuthConfig;
use crate::jobs::JobsConfig;
use crate::upstream::UpstreamConfig;

/// The options this module reads, for a usage message.
pub const USAGE: &str = "The todo service's options (oxapi's follow):
  --database-url URL      sqlite:... or postgres://... (or $DATABASE_URL)
  --memory                an in-memory SQLite database (the same as DATABASE_URL=sqlite::memory:)
  --data-dir DIR          without a URL: the SQLite file DIR/todo.db, made if missing (or $TODO_DATA_DIR; default ./data)
  --max-connections N     the connection pool's size (or $DATABASE_MAX_CONNECTIONS; default 10;
                          on PostgreSQL the feed's listener and the job worker each hold one)
  --jwt-secret SECRET     the key access tokens are signed with, the same for every instance
                          (or $TODO_JWT_SECRET; default: made up at startup, tokens end with the process)
  --suggestions-url URL   an activity service answering {\"activity\": ...} for GET /v1/suggestion
                          (or $TODO_SUGGESTIONS_URL; default: none, the route answers 503)
  --upstream-timeout S    how long a call to that service may take, in seconds (default 2)
  --webhook-url URL       post each item creation and completion there, as a durable job with retries
                          (or $TODO_WEBHOOK_URL; default: none, no deliveries)
  --webhook-max-attempts N  tries before a delivery is dead (default 5)
  --webhook-backoff-ms MS   the first retry's delay, doubled at each retry (default 1000)
  --webhook-timeout S     how long one delivery call may take, in seconds (default 10)
  --jobs-heartbeat-ms MS  how often a worker says it is alive; after 3 missed, its jobs go to
                          another instance (default 10000)
  --jobs-poll-ms MS       how often an idle worker looks for jobs (default 1000)
  --jobs-queue NAME       the deliveries' queue in the database (default todo.webhook-deliveries)
  --admin-token TOKEN     the bearer token of GET /v1/admin/jobs (or $TODO_ADMIN_TOKEN;
                          default: none, the route answers 404)";

/// The pool size when neither `--max-connections` nor `$DATABASE_MAX_CONNECTIONS` sets it.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;

/// The data directory when neither `--data-dir` nor `$TODO_DATA_DIR` sets it.
pub const DEFAULT_DATA_DIR: &str = "data";

/// The service's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The database.
    pub database: DatabaseConfig,
    /// How access tokens are signed.
    pub auth: AuthConfig,
    /// Whether `auth`'s key was made up at startup (no secret was given).
    pub ephemeral_secret: bool,
    /// The other services it calls.
    pub upstream: UpstreamConfig,
    /// Webhook deliveries and the workers that make them.
    pub jobs: JobsConfig,
    /// The bearer token of the admin routes; none, they answer 404.
    pub admin_token: Option<String>,
}

impl Config {
    /// The service on `database`, its tokens signed with a key made up now.
    pub fn new(database: DatabaseConfig) -> Self {
        Self {
            database,
            auth: AuthConfig::ephemeral(),
            ephemeral_secret: true,
            upstream: UpstreamConfig::default(),
            jobs: JobsConfig::default(),
            admin_token: None,
        }
    }
}

/// Which database to use and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseConfig {
    /// The database's URL: `sqlite:…` or `postgres://…`.
    pub url: String,
    /// A directory to make before opening the database (the default SQLite file's).
    pub data_dir: Option<PathBuf>,
    /// The most connections the pool opens.
    pub max_connections: u32,
}

impl DatabaseConfig {
    /// A fresh in-memory SQLite database.
    pub fn in_memory() -> Self {
        Self::url("sqlite::memory:")
    }

    /// The database at `url`, with the default pool size.
    pub fn url(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            data_dir: None,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// The environment variables the configuration reads, passed in so tests need not set them.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `$DATABASE_URL`.
    pub database_url: Option<String>,
    /// `$TODO_DATA_DIR`.
    pub data_dir: Option<String>,
    /// `$DATABASE_MAX_CONNECTIONS`.
    pub max_connections: Option<String>,
    /// `$TODO_JWT_SECRET`.
    pub jwt_secret: Option<String>,
    /// `$TODO_SUGGESTIONS_URL`.
    pub suggestions_url: Option<String>,
    /// `$TODO_WEBHOOK_URL`.
    pub webhook_url: Option<String>,
    /// `$TODO_ADMIN_TOKEN`.
    pub admin_token: Option<String>,
}

impl Env {
    /// The process's environment.
    pub fn from_process() -> Self {
        let var = |name| std::env::var(name).ok().filter(|value| !value.is_empty());
        Self {
            database_url: var("DATABASE_URL"),
            data_dir: var("TODO_DATA_DIR"),
            max_connections: var("DATABASE_MAX_CONNECTIONS"),
            jwt_secret: var("TODO_JWT_SECRET"),
            suggestions_url: var("TODO_SUGGESTIONS_URL"),
            webhook_url: var("TODO_WEBHOOK_URL"),
            admin_token: var("TODO_ADMIN_TOKEN"),
        }
    }
}

/// Reads the configuration from `args` (without the program name) and `env`, and
/// returns it with the arguments that are not its own, for [`App::run_with_args`].
///
/// # Errors
///
/// A message for the user: an option without its value, a pool size that is not a positive
/// number, both `--memory` and `--database-url`, or an empty secret.
///
/// [`App::run_with_args`]: oxapi::App::run_with_args
pub fn parse(
    args: impl IntoIterator<Item = String>,
    env: Env,
) -> Result<(Config, Vec<String>), String> {
    let mut url = None;
    let mut jwt_secret = None;
    let mut suggestions_url = None;
    let mut upstream_timeout = None;
    let mut webhook_url = None;
    let mut max_attempts = None;
    let mut backoff = None;
    let mut webhook_timeout = None;
    let mut heartbeat = None;
    let mut poll = None;
    let mut queue = None;
    let mut admin_token = None;
    let mut memory = false;
    let mut data_dir = None;
    let mut max_connections = None;
    let mut rest = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => {
                (name.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |hint: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("`{name}` needs {hint}"))
        };
        match name.as_str() {
            "--database-url" => {
                url = Some(value("a URL, like sqlite:todo.db or postgres://host/db")?)
            }
            "--data-dir" => data_dir = Some(value("a directory")?),
            "--max-connections" => max_connections = Some(value("a number of connections")?),
            "--jwt-secret" => jwt_secret = Some(value("a secret")?),
            "--suggestions-url" => suggestions_url = Some(value("a URL")?),
            "--upstream-timeout" => upstream_timeout = Some(value("a number of seconds")?),
            "--webhook-url" => webhook_url = Some(value("a URL")?),
            "--webhook-max-attempts" => max_attempts = Some(value("a number of attempts")?),
            "--webhook-backoff-ms" => backoff = Some(value("a number of milliseconds")?),
            "--webhook-timeout" => webhook_timeout = Some(value("a number of seconds")?),
            "--jobs-heartbeat-ms" => heartbeat = Some(value("a number of milliseconds")?),
            "--jobs-poll-ms" => poll = Some(value("a number of milliseconds")?),
            "--jobs-queue" => queue = Some(value("a queue name")?),
            "--admin-token" => admin_token = Some(value("a token")?),
            "--memory" if inline.is_none() => memory = true,
            _ => rest.push(arg),
        }
    }
    if memory && url.is_some() {
        return Err("`--memory` and `--database-url` name two databases: give one".into());
    }
    let max_connections = match max_connections.or(env.max_connections) {
        None => DEFAULT_MAX_CONNECTIONS,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|count| *count > 0)
            .ok_or_else(|| format!("the pool size must be a positive number, not `{text}`"))?,
    };
    let config = if memory {
        DatabaseConfig::in_memory()
    } else if let Some(url) = url.or(env.database_url) {
        DatabaseConfig::url(url)
    } else {
        let dir = PathBuf::from(
            data_dir
                .or(env.data_dir)
                .unwrap_or_else(|| DEFAULT_DATA_DIR.into()),
        );
        DatabaseConfig {
            url: format!("sqlite://{}", dir.join("todo.db").display()),
            data_dir: Some(dir),
            max_connections,
        }
    };
    let database = DatabaseConfig {
        max_connections,
        ..config
    };
    let config = match jwt_secret.or(env.jwt_secret) {
        Some(secret) if secret.is_empty() => return Err("the JWT secret is empty".into()),
        Some(secret) => Config {
            auth: AuthConfig::new(secret),
            ephemeral_secret: false,
            ..Config::new(database)
        },
        None => Config::new(database),
    };
    let timeout =
        seconds(upstream_timeout, "upstream timeout")?.unwrap_or(crate::upstream::DEFAULT_TIMEOUT);
    let defaults = JobsConfig::default();
    let jobs = JobsConfig {
        webhook_url: webhook_url.or(env.webhook_url),
        queue: match queue {
            Some(name) if name.is_empty() || name.len() > 200 => {
                return Err("the jobs queue's name must have 1 to 200 bytes".into());
            }
            Some(name) => name,
            None => defaults.queue.clone(),
        },
        max_attempts: match max_attempts {
            None => defaults.max_attempts,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|count| (1..=100).contains(count))
                .ok_or_else(|| {
                    format!("the webhook's attempts must be a number from 1 to 100, not `{text}`")
                })?,
        },
        backoff: millis(backoff, "webhook backoff")?.unwrap_or(defaults.backoff),
        timeout: seconds(webhook_timeout, "webhook timeout")?.unwrap_or(defaults.timeout),
        heartbeat: millis(heartbeat, "jobs heartbeat")?.unwrap_or(defaults.heartbeat),
        poll: millis(poll, "jobs poll interval")?.unwrap_or(defaults.poll),
    };
    let admin_token = match admin_token.or(env.admin_token) {
        Some(token) if token.is_empty() => return Err("the admin token is empty".into()),
        token => token,
    };
    let config = Config {
        upstream: UpstreamConfig {
            suggestions_url: suggestions_url.or(env.suggestions_url),
            timeout,
        },
        jobs,
        admin_token,
        ..config
    };
    Ok((config, rest))
}

/// A duration given in seconds (fractions allowed), up to an hour.
fn seconds(text: Option<String>, what: &str) -> Result<Option<Duration>, String> {
    text.map(|text| {
        text.parse::<f64>()
            .ok()
            .filter(|seconds| seconds.is_finite() && *seconds > 0.0 && *seconds <= 3600.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| format!("the {what} must be a number of seconds, not `{text}`"))
    })
    .transpose()
}

/// A duration given in whole milliseconds, from 1 ms to an hour.
fn millis(text: Option<String>, what: &str) -> Result<Option<Duration>, String> {
    text.map(|text| {
        text.parse::<u64>()
            .ok()
            .filter(|ms| (1..=3_600_000).contains(ms))
            .map(Duration::from_millis)
            .ok_or_else(|| {
                format!("the {what} must be a number of milliseconds (1 to 3600000), not `{text}`")
            })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|arg| (*arg).to_owned()).collect()
    }

    #[test]
    fn nothing_set_is_a_sqlite_file_in_the_data_directory() {
        let (config, rest) = parse(args(&["--bind", "127.0.0.1:0"]), Env::default()).unwrap();
        assert!(config.ephemeral_secret);
        let config = config.database;
        assert_eq!(config.url, "sqlite://data/todo.db");
        assert_eq!(config.data_dir, Some(PathBuf::from("data")));
        assert_eq!(config.max_connections, DEFAULT_MAX_CONNECTIONS);
        assert_eq!(rest, args(&["--bind", "127.0.0.1:0"]));
    }

    #[test]
    fn flags_win_over_the_environment() {
        let env = Env {
            database_url: Some("postgres://db/todo".into()),
            data_dir: Some("/var/lib/todo".into()),
            max_connections: Some("4".into()),
            jwt_secret: Some("from the environment".into()),
            suggestions_url: Some("http://activities.internal/random".into()),
            webhook_url: Some("http://hooks.internal/todo".into()),
            admin_token: Some("admin from the environment".into()),
        };
        let (config, _) = parse(args(&[]), env.clone()).unwrap();
        assert_eq!(
            config.jobs.webhook_url.as_deref(),
            Some("http://hooks.internal/todo")
        );
        assert_eq!(
            config.admin_token.as_deref(),
            Some("admin from the environment")
        );
        assert_eq!(config.auth.secret, b"from the environment");
        assert!(!config.ephemeral_secret);
        assert_eq!(
            config.database,
            DatabaseConfig {
                max_connections: 4,
                ..DatabaseConfig::url("postgres://db/todo")
            }
        );
        let (config, rest) = parse(
            args(&[
                "--memory",
                "--max-connections=2",
                "--jwt-secret=s3",
                "openapi",
            ]),
            env.clone(),
        )
        .unwrap();
        assert_eq!(config.auth.secret, b"s3");
        assert_eq!(
            config.upstream.suggestions_url.as_deref(),
            Some("http://activities.internal/random")
        );
        assert_eq!(
            config.database,
            DatabaseConfig {
                max_connections: 2,
                ..DatabaseConfig::in_memory()
            }
        );
        assert_eq!(rest, args(&["openapi"]));
        let (config, _) = parse(
            args(&[
                "--webhook-url=http://a/hook",
                "--webhook-max-attempts",
                "3",
                "--webhook-backoff-ms=20",
                "--webhook-timeout=0.5",
                "--jobs-heartbeat-ms=300",
                "--jobs-poll-ms=50",
                "--jobs-queue=tests",
                "--admin-token=root",
            ]),
            env,
        )
        .unwrap();
        assert_eq!(
            config.jobs,
            JobsConfig {
                webhook_url: Some("http://a/hook".into()),
                queue: "tests".into(),
                max_attempts: 3,
                backoff: Duration::from_millis(20),
                timeout: Duration::from_millis(500),
                heartbeat: Duration::from_millis(300),
                poll: Duration::from_millis(50),
            }
        );
        assert_eq!(config.admin_token.as_deref(), Some("root"));
        let (config, _) = parse(args(&["--data-dir", "/tmp/x"]), Env::default()).unwrap();
        assert_eq!(config.database.url, "sqlite:///tmp/x/todo.db");
    }

    #[test]
    fn bad_options_are_refused_with_a_reason() {
        for (list, reason) in [
            (&["--database-url"][..], "`--database-url` needs a URL"),
            (
                &["--max-connections", "0"][..],
                "must be a positive number, not `0`",
            ),
            (&["--max-connections=lots"][..], "not `lots`"),
            (&["--jwt-secret="][..], "the JWT secret is empty"),
            (&["--upstream-timeout", "soon"][..], "not `soon`"),
            (&["--webhook-max-attempts=0"][..], "from 1 to 100, not `0`"),
            (
                &["--webhook-backoff-ms=-1"][..],
                "milliseconds (1 to 3600000), not `-1`",
            ),
            (&["--jobs-heartbeat-ms=0"][..], "not `0`"),
            (&["--admin-token="][..], "the admin token is empty"),
            (
                &["--memory", "--database-url", "sqlite:x.db"][..],
                "give one",
            ),
        ] {
            let error = parse(args(list), Env::default()).unwrap_err();
            assert!(error.contains(reason), "{list:?}: {error}");
        }
    }
}
