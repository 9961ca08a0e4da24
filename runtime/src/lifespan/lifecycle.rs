//! Running an app's hooks: startup in order, shutdown in reverse, and the states between.

use std::any::Any;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt as _;

use super::hooks::{Hook, Hooks, Stage};
use super::{LifespanHandle, LifespanState};
use crate::body::BoxError;

/// A startup hook failed, so the app did not serve.
///
/// `Display` names the hook; [`source`](Error::source) is the hook's own error.
#[derive(Debug, Clone)]
pub struct StartupError {
    hook: &'static str,
    position: usize,
    // An `Arc`, not a `Box`, so the test client can report one failure to every caller.
    source: Arc<dyn Error + Send + Sync>,
}

impl StartupError {
    /// The hook that failed: its function's path, or for a closure where it was written
    /// (`my_service::main::{{closure}}`).
    pub fn hook(&self) -> &'static str {
        self.hook
    }

    /// Which hook failed: 1 for the first registered (startup and shutdown hooks counted
    /// together, in order of registration).
    pub fn position(&self) -> usize {
        self.position
    }
}

impl fmt::Display for StartupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "startup hook #{} `{}` failed", self.position, self.hook)
    }
}

impl Error for StartupError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&*self.source)
    }
}

/// How startup ended.
#[derive(Debug)]
pub(crate) enum Startup {
    /// Every startup hook succeeded: the app is `Ready`.
    Ready,
    /// A hook failed; what had started was torn down, and the app is `Stopped`.
    Failed(StartupError),
    /// Shutdown was asked for during startup; what had started was torn down, and the app is
    /// `Stopped`.
    Cancelled,
}

/// An app's hooks as they run: which stages have started, and so which shutdown hooks are due.
pub(crate) struct Lifecycle {
    stages: Vec<Stage>,
    handle: LifespanHandle,
    /// How many stages, from the first, have started: their shutdown hooks run at the end.
    started: usize,
    grace: Duration,
}

impl fmt::Debug for Lifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lifecycle")
            .field("stages", &self.stages.len())
            .field("started", &self.started)
            .field("state", &self.handle.state())
            .finish()
    }
}

impl Lifecycle {
    /// The hooks, to run with `grace` as the time requests and tasks get to drain.
    pub(crate) fn new(hooks: Hooks, grace: Duration) -> Self {
        Self {
            stages: hooks.stages,
            handle: hooks.handle,
            started: 0,
            grace,
        }
    }

    pub(crate) fn handle(&self) -> &LifespanHandle {
        &self.handle
    }

    /// Runs the startup hooks: the app is `Ready` if they all succeed. If one fails, runs the
    /// shutdown hooks of the stages that had started, and the app is `Stopped`.
    pub(crate) async fn start(&mut self) -> Result<(), StartupError> {
        let result = self.run_startup().await;
        self.finish_startup(result).await
    }

    /// [`Lifecycle::start`], unless `shutdown` completes first: then the hook running is
    /// dropped (its stage never started), the stages that had started are undone, and the
    /// app is `Stopped`.
    pub(crate) async fn start_unless(
        &mut self,
        shutdown: Pin<&mut impl Future<Output = ()>>,
    ) -> Startup {
        let outcome = tokio::select! {
            result = self.run_startup() => Some(result),
            () = shutdown => None,
        };
        match outcome {
            Some(result) => match self.finish_startup(result).await {
                Ok(()) => Startup::Ready,
                Err(error) => Startup::Failed(error),
            },
            None => {
                self.begin_draining();
                self.stop().await;
                Startup::Cancelled
            }
        }
    }

    async fn finish_startup(
        &mut self,
        result: Result<(), StartupError>,
    ) -> Result<(), StartupError> {
        match result {
            Ok(()) => {
                self.handle.advance(LifespanState::Ready);
                Ok(())
            }
            Err(error) => {
                self.stop().await;
                Err(error)
            }
        }
    }

    /// Runs each stage's startup hook in order, counting the stages that started.
    async fn run_startup(&mut self) -> Result<(), StartupError> {
        // Only a starting app starts: a test client shut down before its first request stays
        // stopped.
        if self.handle.state() != LifespanState::Starting {
            return Ok(());
        }
        while let Some(stage) = self.stages.get_mut(self.started) {
            if let Some(hook) = stage.startup.take() {
                let name = stage.name;
                tracing::debug!(hook = name, "startup hook");
                run(hook).await.map_err(|source| StartupError {
                    hook: name,
                    position: self.started + 1,
                    source: Arc::from(source),
                })?;
            }
            self.started += 1;
        }
        Ok(())
    }

    /// Begins shutdown: `Draining`, with the grace period starting now.
    pub(crate) fn begin_draining(&self) {
        self.handle.begin_draining(self.grace);
    }

    /// Waits for background tasks, runs the started stages' shutdown hooks in reverse, and
    /// moves to `Stopped`. Runs each hook at most once however often it is called.
    pub(crate) async fn stop(&mut self) {
        self.handle.drain_tasks().await;
        let started = std::mem::take(&mut self.started);
        let stages: Vec<Stage> = self.stages.drain(..started).collect();
        for stage in stages.into_iter().rev() {
            let Some(hook) = stage.shutdown else { continue };
            tracing::debug!(hook = stage.name, "shutdown hook");
            if let Err(error) = run(hook).await {
                tracing::error!(hook = stage.name, %error, "shutdown hook failed");
            }
        }
        self.handle.advance(LifespanState::Stopped);
    }
}

/// Runs one hook; a panic becomes its error, so the hooks after it still run.
async fn run(hook: Hook) -> Result<(), BoxError> {
    match AssertUnwindSafe(async move { hook().await })
        .catch_unwind()
        .await
    {
        Ok(result) => result,
        Err(panic) => Err(format!("panicked: {}", panic_message(panic.as_ref())).into()),
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::App;
    use crate::lifespan::Lifespan;

    /// What the hooks did, in order.
    #[derive(Clone, Default)]
    struct Log(Arc<Mutex<Vec<String>>>);

    impl Log {
        fn push(&self, entry: &str) {
            self.0.lock().unwrap().push(entry.to_owned());
        }

        fn take(&self) -> Vec<String> {
            std::mem::take(&mut *self.0.lock().unwrap())
        }

        /// A startup or shutdown hook that logs `entry`.
        fn hook(
            &self,
            entry: &'static str,
        ) -> impl FnOnce() -> std::future::Ready<()> + Send + use<> {
            let log = self.clone();
            move || {
                log.push(entry);
                std::future::ready(())
            }
        }
    }

    /// A hook that panics with `message`.
    async fn panics(message: &'static str) {
        panic!("{message}")
    }

    struct Resource(Log);

    impl Lifespan for Resource {
        type State = u8;
        type Error = BoxError;

        async fn startup(&self) -> Result<u8, BoxError> {
            self.0.push("resource up");
            Ok(1)
        }

        async fn shutdown(&self, state: Arc<u8>) -> Result<(), BoxError> {
            self.0.push(&format!("resource down {state}"));
            Ok(())
        }
    }

    #[tokio::test]
    async fn startup_hooks_run_in_order_and_shutdown_hooks_in_reverse() {
        let log = Log::default();
        let mut app = App::new()
            .on_startup(log.hook("first up"))
            .on_shutdown(log.hook("first down"))
            .lifespan(Resource(log.clone()))
            .on_startup(log.hook("last up"));
        let mut lifecycle = app.take_lifecycle();
        let handle = lifecycle.handle().clone();
        assert_eq!(handle.state(), LifespanState::Starting);
        lifecycle.start().await.unwrap();
        assert_eq!(handle.state(), LifespanState::Ready);
        assert_eq!(log.take(), ["first up", "resource up", "last up"]);
        lifecycle.begin_draining();
        assert_eq!(handle.state(), LifespanState::Draining);
        lifecycle.stop().await;
        assert_eq!(handle.state(), LifespanState::Stopped);
        assert_eq!(log.take(), ["resource down 1", "first down"]);
        lifecycle.stop().await;
        assert!(log.take().is_empty(), "each hook runs once");
    }

    #[tokio::test]
    async fn a_failing_startup_hook_undoes_only_what_started_before_it() {
        let log = Log::default();
        let mut app = App::new()
            .on_shutdown(log.hook("registered before: runs"))
            .lifespan(Resource(log.clone()))
            .on_startup(|| async { Err::<(), _>("no database") })
            .on_startup(log.hook("never runs"))
            .on_shutdown(log.hook("registered after: never runs"));
        let mut lifecycle = app.take_lifecycle();
        let error = lifecycle.start().await.unwrap_err();
        assert_eq!(error.position(), 3);
        assert!(error.hook().contains("{{closure}}"), "{}", error.hook());
        assert_eq!(error.source().unwrap().to_string(), "no database");
        assert_eq!(
            log.take(),
            ["resource up", "resource down 1", "registered before: runs"]
        );
        assert_eq!(lifecycle.handle().state(), LifespanState::Stopped);
    }

    #[tokio::test]
    async fn a_panicking_hook_is_an_error_and_the_other_shutdown_hooks_still_run() {
        let log = Log::default();
        let mut app = App::new()
            .on_shutdown(log.hook("still runs"))
            .on_shutdown(|| panics("boom"))
            .on_shutdown(|| async { Err::<(), _>("refused") })
            .on_startup(|| panics("at startup"));
        let mut lifecycle = app.take_lifecycle();
        let error = lifecycle.start().await.unwrap_err();
        assert_eq!(error.source().unwrap().to_string(), "panicked: at startup");
        assert_eq!(log.take(), ["still runs"]);
    }

    #[tokio::test]
    async fn shutdown_during_startup_drops_the_running_hook_and_undoes_the_rest() {
        let log = Log::default();
        let (running, hook_runs) = tokio::sync::oneshot::channel();
        let mut app = App::new()
            .lifespan(Resource(log.clone()))
            .on_startup(|| async move {
                let _ = running.send(());
                std::future::pending::<()>().await;
            })
            .on_shutdown(log.hook("registered after: never runs"));
        let mut lifecycle = app.take_lifecycle();
        // Shutdown is asked for once the second hook is running.
        let shutdown = std::pin::pin!(async {
            let _ = hook_runs.await;
        });
        assert!(matches!(
            lifecycle.start_unless(shutdown).await,
            Startup::Cancelled
        ));
        assert_eq!(log.take(), ["resource up", "resource down 1"]);
        assert_eq!(lifecycle.handle().state(), LifespanState::Stopped);
    }

    #[tokio::test]
    async fn background_tasks_finish_before_the_shutdown_hooks() {
        let log = Log::default();
        // No deadline the test could reach: the hook waits for the task however slow the
        // machine is.
        let mut app = App::new()
            .shutdown_grace(std::time::Duration::MAX)
            .on_shutdown(log.hook("hook"));
        let mut lifecycle = app.take_lifecycle();
        lifecycle.start().await.unwrap();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let task_log = log.clone();
        let task = lifecycle.handle().spawn(async move {
            let _ = released.await;
            task_log.push("task");
        });
        lifecycle.begin_draining();
        let stopping = tokio::spawn(async move { lifecycle.stop().await });
        tokio::task::yield_now().await;
        assert!(log.take().is_empty(), "the hook waits for the task");
        release.send(()).unwrap();
        stopping.await.unwrap();
        task.await.unwrap();
        assert_eq!(log.take(), ["task", "hook"]);
    }

    #[tokio::test]
    async fn a_handle_reports_each_change_it_has_not_seen() {
        let mut app = App::new();
        let mut lifecycle = app.take_lifecycle();
        let mut handle = lifecycle.handle().clone();
        lifecycle.start().await.unwrap();
        assert_eq!(handle.changed().await, LifespanState::Ready);
        let signal = handle.shutdown_signal();
        lifecycle.begin_draining();
        signal.await;
        lifecycle.stop().await;
        assert_eq!(handle.changed().await, LifespanState::Stopped);
        assert_eq!(
            handle.wait_for(LifespanState::Draining).await,
            LifespanState::Stopped
        );
    }
}
