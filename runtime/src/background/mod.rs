//! Background tasks: work a handler queues to run once its response has been written
//! (FastAPI's `BackgroundTasks`).
//!
//! The extractor leaves its queue in the request's [`RequestContext`]; when the handler's
//! response comes back, [`crate::private::respond`] wraps its body in [`body::Release`], which
//! hands the queue to the app's [`LifespanHandle::spawn`] when hyper has taken the last frame
//! or dropped the body (the client left). Shutdown then drains the tasks at its step 4. A route
//! that takes no `BackgroundTasks` never has its body wrapped.

mod body;
mod task;

use std::sync::{Arc, Mutex, PoisonError};

use http::request::Parts;
use oxapi_openapi::OperationDoc;

use crate::body::{Body, Response};
use crate::context::{RequestContext, Resources};
use crate::extract::{FromRequestParts, Rejection};
use crate::lifespan::LifespanHandle;

use task::Task;
pub use task::TaskOutcome;

/// Work to run after the response has been written: send an email, write an audit log.
///
/// Tasks start once the response's last byte has been handed to the connection (or the
/// client has left), one after the other in the order they were added, as in FastAPI. A
/// task that fails (returns `Err`) or panics is logged with its route (`tracing`, level
/// error) and the next one still runs. The app bounds how many tasks may be queued or
/// running ([`App::background_task_limit`](crate::App::background_task_limit)); past it a
/// task is dropped with a warning and counted. Graceful shutdown waits for them within the
/// grace period, after in-flight requests (step 4 of [`LifespanHandle`]'s shutdown order).
///
/// ```
/// use oxapi::prelude::*;
///
/// #[post("/signup")]
/// async fn signup(tasks: BackgroundTasks) -> &'static str {
///     tasks.spawn(async move {
///         // send the welcome email
///     });
///     tasks.spawn_blocking(move || {
///         // a blocking call: runs on the blocking pool
///     });
///     "welcome"
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().routes(routes![signup]).test_client();
/// assert_eq!(client.post("/signup").send().await.text(), "welcome");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct BackgroundTasks {
    queue: Arc<Queue>,
}

/// One request's tasks, and what running them needs.
#[derive(Debug)]
pub(crate) struct Queue {
    tasks: Mutex<Vec<Task>>,
    lifespan: LifespanHandle,
    /// For `spawn_blocking`: the app's blocking pool.
    resources: Arc<Resources>,
    /// `GET /items/{id}`, for the log of a failing task.
    route: String,
    /// The route, for the stall detector watching the tasks.
    stall: crate::stall::RouteId,
}

impl BackgroundTasks {
    /// Adds a task: a future run on the event loop after the response. Its output is `()`
    /// or a `Result` whose error is logged.
    pub fn spawn<F>(&self, task: F)
    where
        F: Future + Send + 'static,
        F::Output: TaskOutcome,
    {
        self.queue.push(Task::future(task));
    }

    /// Adds a blocking task: a closure run on the app's blocking pool after the response,
    /// so it never stalls the event loop. Its output is `()` or a `Result` whose error is
    /// logged.
    pub fn spawn_blocking<F, R>(&self, task: F)
    where
        F: FnOnce() -> R + Send + 'static,
        R: TaskOutcome,
    {
        self.queue.push(Task::blocking(task));
    }

    /// The request's tasks, if one of its extractors asked for them.
    pub(crate) fn of(parts: &Parts) -> Option<Arc<Queue>> {
        parts
            .extensions
            .get::<Self>()
            .map(|tasks| Arc::clone(&tasks.queue))
    }
}

/// `response`, its body made to release `queue`'s tasks when it is done. Out of line: only
/// routes with background tasks come here.
#[cold]
#[inline(never)]
pub(crate) fn release_after(response: Response, queue: Arc<Queue>) -> Response {
    response.map(|body| Body::new(body::Release::new(body, queue)))
}

impl Queue {
    fn push(&self, task: Task) {
        self.tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(task);
    }

    /// Hands the queued tasks to the lifespan, once: the response has been written.
    pub(crate) fn release(&self) {
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(PoisonError::into_inner));
        if tasks.is_empty() {
            return;
        }
        task::start(
            tasks,
            &self.lifespan,
            Arc::clone(&self.resources),
            self.route.clone(),
            self.stall,
        );
    }
}

impl FromRequestParts for BackgroundTasks {
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, Rejection> {
        if let Some(queue) = ctx.background() {
            return Ok(Self {
                queue: Arc::clone(queue),
            });
        }
        // A dependency of the route may have made the request's queue already: it left it
        // in the request's extensions, which the route's own extractors see next.
        let tasks = match parts.extensions.get::<Self>() {
            Some(tasks) => tasks.clone(),
            None => {
                let lifespan = ctx
                    .state::<LifespanHandle>()
                    .ok_or(Rejection::MissingState {
                        type_name: std::any::type_name::<LifespanHandle>(),
                    })?;
                let tasks = Self {
                    queue: Arc::new(Queue {
                        tasks: Mutex::new(Vec::new()),
                        lifespan: LifespanHandle::clone(lifespan),
                        resources: ctx.resources_arc(),
                        route: format!("{} {}", parts.method, ctx.matched_path()),
                        stall: ctx.stall(),
                    }),
                };
                parts.extensions.insert(tasks.clone());
                tasks
            }
        };
        Ok(Self {
            queue: ctx.background_queue(|| Arc::clone(&tasks.queue)),
        })
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.require_state::<LifespanHandle>();
    }
}
