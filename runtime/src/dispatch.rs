//! Dispatch of plain-`fn` handlers: the call goes to the blocking pool (see [`crate::pool`])
//! and the event loop awaits its response without blocking.

use oxapi_openapi::FrameworkError;
use std::future::Future;

use crate::context::RequestContext;
use crate::pool::{BlockingPool, Job};
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};

/// Runs `call` on the blocking pool and waits for its response without blocking the event loop.
///
/// Only the job's closure is generic; the waiting is one non-generic future, so each plain-fn
/// route does not compile its own copy of it.
pub(crate) fn run_blocking<'a, F>(
    ctx: &'a RequestContext<'_>,
    call: F,
) -> impl Future<Output = Response> + Send + 'a
where
    F: FnOnce() -> Response + Send + 'static,
{
    run_job(ctx.pool(), Box::new(call))
}

async fn run_job(pool: &BlockingPool, job: Job) -> Response {
    let Ok(outcome) = pool.submit(job) else {
        tracing::warn!("blocking pool queue is full; refusing a request with 503");
        return overloaded();
    };
    match outcome.await {
        Ok(Ok(response)) => response,
        Ok(Err(panic)) => crate::problem::panic_response(panic.as_ref()),
        // The pool dropped the job unrun: it could not start a thread for it.
        Err(_dropped) => overloaded(),
    }
}

/// `503 Service Unavailable` with `Retry-After`: the pool cannot take the call now.
fn overloaded() -> Response {
    Problem::from(FrameworkError::Overloaded)
        .with_detail(crate::blocking::OVERLOADED_DETAIL)
        .into_response()
}
