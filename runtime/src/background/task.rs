//! One background task, how it is admitted, and how it runs and is logged.

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::FutureExt;

use crate::context::Resources;
use crate::lifespan::LifespanHandle;
use crate::problem::panic_message;

/// What a background task returns: `()`, or a `Result` whose error is logged with the route.
pub trait TaskOutcome: Send + 'static {
    /// The failure to log, if the task failed.
    fn failure(self) -> Option<String>;
}

impl TaskOutcome for () {
    fn failure(self) -> Option<String> {
        None
    }
}

impl<T: Send + 'static, E: fmt::Display + Send + 'static> TaskOutcome for Result<T, E> {
    fn failure(self) -> Option<String> {
        self.err().map(|error| error.to_string())
    }
}

type BoxedFuture = Pin<Box<dyn Future<Output = Option<String>> + Send>>;
type BoxedBlocking = Box<dyn FnOnce() -> Option<String> + Send>;

/// A queued task, its output already reduced to the failure to log.
pub(crate) enum Task {
    Future(BoxedFuture),
    Blocking(BoxedBlocking),
}

impl fmt::Debug for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Future(_) => "Task::Future",
            Self::Blocking(_) => "Task::Blocking",
        })
    }
}

impl Task {
    pub(crate) fn future<F>(task: F) -> Self
    where
        F: Future + Send + 'static,
        F::Output: TaskOutcome,
    {
        Self::Future(Box::pin(task.map(TaskOutcome::failure)))
    }

    pub(crate) fn blocking<F, R>(task: F) -> Self
    where
        F: FnOnce() -> R + Send + 'static,
        R: TaskOutcome,
    {
        Self::Blocking(Box::new(move || task().failure()))
    }
}

/// Admits each task within the app's limit and runs the admitted ones, in order, as one
/// lifespan task (so shutdown waits for them).
pub(crate) fn start(
    tasks: Vec<Task>,
    lifespan: &LifespanHandle,
    resources: Arc<Resources>,
    route: String,
    stall: crate::stall::RouteId,
) {
    let mut admitted = Vec::with_capacity(tasks.len());
    for task in tasks {
        if lifespan.admit_background_task() {
            admitted.push(task);
        } else {
            tracing::warn!(
                route = %route,
                limit = lifespan.background_tasks().limit,
                "too many background tasks queued or running; dropping one"
            );
        }
    }
    if admitted.is_empty() {
        return;
    }
    // The body is released on a connection's task, so a runtime is there; a response dropped
    // elsewhere (a test holding one past its runtime) has nowhere to run its tasks.
    if tokio::runtime::Handle::try_current().is_err() {
        tracing::error!(route = %route, tasks = admitted.len(), "background tasks dropped: no tokio runtime");
        for _ in &admitted {
            lifespan.finish_background_task(false);
        }
        return;
    }
    let handle = lifespan.clone();
    // The tasks run on the event loop like the request did: their stalls are reported.
    lifespan.spawn(crate::stall::Watched::new(stall, async move {
        for task in admitted {
            let ok = run(task, &resources, &route).await;
            handle.finish_background_task(ok);
        }
    }));
}

/// Runs one task; `false` if it failed or panicked (logged here).
async fn run(task: Task, resources: &Resources, route: &str) -> bool {
    let failure = match task {
        Task::Future(future) => match AssertUnwindSafe(future).catch_unwind().await {
            Ok(failure) => failure,
            Err(panic) => Some(format!("panicked: {}", panic_message(panic.as_ref()))),
        },
        Task::Blocking(call) => run_blocking(call, resources).await,
    };
    match failure {
        None => true,
        Some(failure) => {
            tracing::error!(route = %route, failure = %failure, "background task failed");
            false
        }
    }
}

/// Runs `call` on the app's blocking pool; the pool catches its panic.
async fn run_blocking(call: BoxedBlocking, resources: &Resources) -> Option<String> {
    match resources.pool.call(call).await {
        Ok(failure) => failure,
        Err(error) => Some(error.to_string()),
    }
}
