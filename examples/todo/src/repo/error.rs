//! What can go wrong in the repository, and how each failure is answered.

use std::fmt;

use oxapi::{ApiError, FieldError, FrameworkError, Problem, StatusCode};

/// Why a repository call failed.
///
/// Not a `std::error::Error` on purpose: oxapi turns any such error into a 500 with `?`, and
/// these must keep their statuses, through the `From<RepoError> for ApiError` below.
#[derive(Debug)]
pub enum RepoError {
    /// No such list or item (or it is another owner's).
    NotFound(&'static str),
    /// The write would break a uniqueness rule (a list title the owner has already).
    Conflict(&'static str),
    /// The row is at another version than the write expected: someone changed it first.
    VersionMismatch {
        /// The row's version now.
        current: i64,
    },
    /// An `Idempotency-Key` already used with another request.
    KeyReused,
    /// The database failed.
    Database(sqlx::Error),
    /// The job queue refused a job (apalis's storage error).
    Jobs(Box<dyn std::error::Error + Send + Sync>),
}

impl fmt::Display for RepoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound(what) => write!(f, "no such {what}"),
            Self::Conflict(what) => f.write_str(what),
            Self::VersionMismatch { current } => write!(
                f,
                "the resource changed: it is at version {current}, not one `If-Match` names"
            ),
            Self::KeyReused => f.write_str(
                "the Idempotency-Key was used with another request: send a new key with a new request",
            ),
            Self::Database(error) => write!(f, "database error: {error}"),
            Self::Jobs(error) => write!(f, "job queue error: {error}"),
        }
    }
}

impl From<sqlx::Error> for RepoError {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(error)
    }
}

impl From<RepoError> for ApiError {
    fn from(error: RepoError) -> Self {
        match error {
            RepoError::NotFound(_) => ApiError::not_found(error.to_string()),
            RepoError::Conflict(_) => ApiError::conflict(error.to_string()),
            RepoError::VersionMismatch { .. } => ApiError::from_problem(
                Problem::new(StatusCode::PRECONDITION_FAILED).with_detail(error.to_string()),
            ),
            // A 422, as the IETF's Idempotency-Key draft answers a key reused for another
            // payload; in the shape the document gives every 422, at the header.
            RepoError::KeyReused => ApiError::from_problem(
                Problem::from(FrameworkError::Validation)
                    .with_detail(error.to_string())
                    .with_errors([FieldError::new(
                        "header.idempotency-key",
                        "reused",
                        error.to_string(),
                    )]),
            ),
            // Logged with its cause; the client learns nothing of the database.
            RepoError::Database(error) => ApiError::internal(error),
            RepoError::Jobs(error) => ApiError::internal(error),
        }
    }
}

/// Why the database could not be opened.
#[derive(Debug)]
pub enum ConnectError {
    /// The URL names no database this service speaks (`sqlite:` or `postgres:`).
    UnknownScheme,
    /// The data directory for the SQLite file could not be made.
    DataDir(std::io::Error),
    /// The database could not be reached or opened.
    Connect(sqlx::Error),
    /// A migration failed.
    Migrate(sqlx::migrate::MigrateError),
    /// The webhook worker could not be started (the reason).
    Jobs(String),
    /// The pool is too small for the connections that listen (the feed's, the job queue's)
    /// and one for requests: it needs at least this many.
    PoolTooSmall(u32),
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownScheme => {
                f.write_str("the database URL must start with `sqlite:` or `postgres://`")
            }
            Self::DataDir(_) => f.write_str("cannot make the data directory"),
            Self::Connect(_) => f.write_str("cannot open the database"),
            Self::Migrate(_) => f.write_str("cannot migrate the database"),
            Self::Jobs(reason) => write!(f, "cannot start the webhook worker: {reason}"),
            Self::PoolTooSmall(needed) => write!(
                f,
                "the pool needs at least {needed} connections (--max-connections): some listen \
                 for notifications for good"
            ),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::UnknownScheme | Self::Jobs(_) | Self::PoolTooSmall(_) => None,
            Self::DataDir(error) => Some(error),
            Self::Connect(error) => Some(error),
            Self::Migrate(error) => Some(error),
        }
    }
}

impl From<sqlx::Error> for ConnectError {
    fn from(error: sqlx::Error) -> Self {
        Self::Connect(error)
    }
}

impl From<sqlx::migrate::MigrateError> for ConnectError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        Self::Migrate(error)
    }
}
