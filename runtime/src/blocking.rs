//! [`BlockingPool`]: the app's blocking pool, for one step of an `async fn` handler (FastAPI's
//! `run_in_threadpool`).

use std::fmt;
use std::sync::Arc;

use http::request::Parts;
use oxapi_openapi::{FrameworkError, OperationDoc};

use crate::context::{RequestContext, Resources};
use crate::error::{ApiError, HttpError};
use crate::extract::FromRequestParts;
use crate::pool::CallError;
use crate::problem::{Problem, panic_message};

/// Runs one blocking or CPU-heavy step of an `async fn` handler on the app's blocking pool,
/// while the handler awaits it without holding the event loop.
///
/// A handler that blocks from start to end is simply a plain `fn`. This is for the handler
/// that awaits a database or a service *and* has a step that would stall the event loop:
/// hashing a password, parsing a large document, a call into a blocking library. The step
/// runs on the same bounded pool as plain-`fn` handlers, so it shares their limits: when the
/// pool's queue is full, [`spawn_blocking`](Self::spawn_blocking) fails at once with
/// [`BlockingError::Overloaded`], which answers `503` with `Retry-After`, instead of waiting.
///
/// As with tokio's `spawn_blocking`, what the closure calls is not read by the route
/// attribute's check for blocking calls: it runs where blocking belongs.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::BlockingPool;
///
/// #[post("/digest")]
/// async fn digest(pool: BlockingPool, body: Bytes) -> Result<String, ApiError> {
///     // CPU work off the event loop; `?` turns a full pool into a 503 problem.
///     let sum = pool
///         .spawn_blocking(move || body.iter().map(|&byte| u64::from(byte)).sum::<u64>())
///         .await?;
///     Ok(sum.to_string())
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().routes(routes![digest]).test_client();
/// assert_eq!(client.post("/digest").body("ab").send().await.text(), "195");
/// # }
/// ```
#[derive(Clone)]
pub struct BlockingPool {
    resources: Arc<Resources>,
}

impl BlockingPool {
    /// Queues `call` on the blocking pool and resolves to what it returns.
    ///
    /// The call is queued when this is called, not when the future is first polled. Dropping
    /// the future does not stop a call that has begun; its value is then dropped.
    ///
    /// # Errors
    ///
    /// [`BlockingError::Overloaded`] if the pool's queue is full or it could not start a
    /// thread; [`BlockingError::Panicked`] if `call` panicked.
    pub fn spawn_blocking<T, F>(
        &self,
        call: F,
    ) -> impl Future<Output = Result<T, BlockingError>> + Send + 'static
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let outcome = self.resources.pool.call(call);
        async move {
            outcome.await.map_err(|error| match error {
                CallError::Refused => BlockingError::Overloaded,
                CallError::Panicked(panic) => {
                    BlockingError::Panicked(panic_message(panic.as_ref()).to_owned())
                }
            })
        }
    }
}

impl fmt::Debug for BlockingPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingPool")
            .field("pool", &self.resources.pool.stats())
            .finish()
    }
}

impl FromRequestParts for BlockingPool {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        _parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self {
            resources: ctx.resources_arc(),
        })
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.error(FrameworkError::Overloaded);
    }
}

/// Why a [`BlockingPool::spawn_blocking`] call gave no value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlockingError {
    /// The pool's queue was full, or it could not start a thread: `503 Service Unavailable`
    /// with `Retry-After`, the answer of a plain-`fn` handler the pool cannot take.
    Overloaded,
    /// The call panicked, with this message: `500 Internal Server Error`, the message logged
    /// and not sent.
    Panicked(String),
}

impl fmt::Display for BlockingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Overloaded => f.write_str("the blocking pool's queue is full"),
            Self::Panicked(message) => write!(f, "the blocking call panicked: {message}"),
        }
    }
}

impl HttpError for BlockingError {
    fn status(&self) -> http::StatusCode {
        match self {
            Self::Overloaded => http::StatusCode::SERVICE_UNAVAILABLE,
            Self::Panicked(_) => http::StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn problem(&self) -> Problem {
        match self {
            Self::Overloaded => {
                Problem::from(FrameworkError::Overloaded).with_detail(OVERLOADED_DETAIL)
            }
            // The message is logged with the error (a 5xx is), never sent.
            Self::Panicked(_) => Problem::from(FrameworkError::Internal),
        }
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.errors(&[FrameworkError::Overloaded, FrameworkError::Internal]);
    }
}

// Not a `std::error::Error`: every such error converts into an `ApiError` as a 500, and a full
// pool must answer 503 through `?` instead.
impl From<BlockingError> for ApiError {
    fn from(error: BlockingError) -> Self {
        match error {
            BlockingError::Overloaded => ApiError::from_problem(error.problem()),
            // A 500 whose cause, the panic's message, is logged and not sent.
            BlockingError::Panicked(message) => {
                ApiError::internal(format!("a blocking call panicked: {message}"))
            }
        }
    }
}

/// The detail of a `503` from a full pool.
pub(crate) const OVERLOADED_DETAIL: &str = "the server is busy; retry shortly";
