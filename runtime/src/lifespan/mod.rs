//! The app's lifespan: startup hooks that build state before the first request, shutdown hooks
//! after the last, and the state machine between them.
//!
//! The states, the startup and the shutdown order are documented on [`LifespanHandle`], where
//! users read them; later features join that order at the step that fits them.

mod hooks;
mod lifecycle;

use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub(crate) use hooks::Hooks;
pub use hooks::{HookOutput, Lifespan};
pub use lifecycle::StartupError;
pub(crate) use lifecycle::{Lifecycle, Startup};

/// Where an app is in its life. The states are ordered: `Starting < Ready < Draining < Stopped`,
/// and an app only moves forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LifespanState {
    /// Built but not serving yet: startup hooks are running, or serving has not begun.
    Starting,
    /// Every startup hook succeeded; requests are served.
    Ready,
    /// Shutdown began: connections are turned away (then no new ones accepted); in-flight
    /// requests, then background tasks, finish; then the shutdown hooks run.
    Draining,
    /// Done: the shutdown hooks have run, or startup failed.
    Stopped,
}

/// Reads an app's [`LifespanState`] and waits for it to change; cloneable, cheap to hold.
///
/// Get one from [`App::lifespan_handle`](crate::App::lifespan_handle) before serving, or take
/// `State<LifespanHandle>` in a handler: every app provides it.
///
/// # States
///
/// An app moves through four [`LifespanState`]s, forward only:
///
/// ```text
/// Starting ──(every startup hook succeeded)──▶ Ready ──(shutdown begins)──▶ Draining ──▶ Stopped
///     └──────────(a startup hook failed, or shutdown began during startup)──────────────────▲
/// ```
///
/// The readiness probe every app serves (`/readyz` unless
/// [`App::readiness_path`](crate::App::readiness_path) moves it) answers 200 only in `Ready`;
/// the example below writes one by hand.
///
/// # Startup
///
/// Startup hooks ([`App::on_startup`](crate::App::on_startup), [`Lifespan::startup`]) run one
/// after the other, in order of registration, before any request is served. The listener is
/// bound first, so a port already in use fails before any hook has side effects, and the
/// server accepts connections while the hooks run: it answers the liveness and readiness
/// probes ([`App::liveness_path`](crate::App::liveness_path),
/// [`App::readiness_path`](crate::App::readiness_path)) at once, and every other request waits
/// and is served once every hook has succeeded. If a hook fails, the shutdown hooks registered
/// before the failing hook run, the requests waiting are answered with a 503 problem
/// (`urn:oxapi:problem:not-ready`, `Connection: close`) and never served, the listener is
/// closed, and serving returns [`ServeError::Startup`](crate::ServeError::Startup). If shutdown
/// begins during startup, the hook running is dropped, the same shutdown hooks run, waiting
/// requests get the same 503, and serving returns `Ok`.
///
/// # Shutdown, in order
///
/// 1. **Announce it.** The shutdown trigger fires (SIGINT or SIGTERM, the future given to
///    [`App::serve_with_shutdown`](crate::App::serve_with_shutdown), or
///    [`TestClient::shutdown`](crate::TestClient::shutdown)): the state becomes `Draining` (a
///    readiness probe answers 503 from now on) and [`LifespanHandle::shutdown_signal`]
///    completes, in one step.
/// 2. **Turn traffic away, then stop accepting.** For the app's
///    [`drain_delay`](crate::App::drain_delay) (none by default) the server goes on accepting
///    and answering, but each HTTP/1 response says `Connection: close` and closes its
///    connection, and HTTP/2 connections are sent `GOAWAY` (the streams the client opened
///    before it are served; later ones are refused unprocessed, for the client to send
///    elsewhere): a load balancer stops reusing connections to this instance. Then the
///    connections already waiting in the listener's queue are accepted (those whose client
///    has sent something are answered once; the rest are closed) and the listener is closed. Meanwhile long-lived streams and WebSockets, which await `shutdown_signal()`,
///    end themselves; an open stream is an in-flight request, so the next step waits for it.
///    A WebSocket waiting in `recv` or calling `send` closes with `1001`; its connection runs
///    as a task of [`LifespanHandle::spawn`], so step 4 waits for its close handshake.
/// 3. **Requests drain.** Each connection finishes its in-flight requests and closes (HTTP/1.1
///    after the current response, with `Connection: close`; HTTP/2 with `GOAWAY`); an idle
///    keep-alive connection is closed at once. This takes up to the app's
///    [`shutdown_grace`](crate::App::shutdown_grace), counted from the end of the delay.
/// 4. **Background tasks drain.** Tasks started with [`LifespanHandle::spawn`] finish, within
///    what is left of the grace period.
/// 5. **Shutdown hooks run**, once each, in reverse order of registration; a failing or
///    panicking hook is logged (`tracing`, level error) and the others still run.
/// 6. **Stopped.**
///
/// Later features join this order at the step that fits them, never by a new state.
///
/// # Examples
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::{LifespanHandle, LifespanState};
///
/// /// Ready for traffic? A load balancer's readiness probe.
/// #[get("/ready")]
/// async fn ready(lifespan: State<LifespanHandle>) -> StatusCode {
///     if lifespan.state() == LifespanState::Ready {
///         StatusCode::OK
///     } else {
///         StatusCode::SERVICE_UNAVAILABLE
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = App::new().routes(routes![ready]);
/// let lifespan = app.lifespan_handle();
/// assert_eq!(lifespan.state(), LifespanState::Starting);
/// let client = app.test_client();
/// assert_eq!(client.get("/ready").send().await.status(), 200);
/// client.shutdown().await;
/// assert_eq!(lifespan.state(), LifespanState::Stopped);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct LifespanHandle {
    shared: Arc<Shared>,
    /// The state this handle last reported, for [`LifespanHandle::changed`].
    seen: watch::Receiver<LifespanState>,
}

/// What every handle of one app shares.
#[derive(Debug)]
struct Shared {
    state: watch::Sender<LifespanState>,
    /// Each task from [`LifespanHandle::spawn`] holds a receiver until it ends, so `closed()`
    /// completes when none is left (the server counts connections the same way).
    tasks: watch::Sender<()>,
    /// When `Draining` began plus the grace period: the deadline for requests and tasks.
    drain_deadline: OnceLock<Instant>,
    /// `BackgroundTasks` admitted and not yet finished, and the bound on them.
    background: BackgroundCounts,
}

/// The counts behind [`BackgroundTaskStats`].
#[derive(Debug)]
struct BackgroundCounts {
    limit: AtomicUsize,
    active: AtomicUsize,
    refused: AtomicU64,
    failed: AtomicU64,
}

/// Default bound on [`BackgroundTasks`](crate::BackgroundTasks) queued or running at once.
pub const DEFAULT_BACKGROUND_TASK_LIMIT: usize = 10_000;

/// The app's [`BackgroundTasks`](crate::BackgroundTasks) now, for a metrics route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackgroundTaskStats {
    /// Tasks queued or running now.
    pub active: usize,
    /// The most that may be queued or running at once.
    pub limit: usize,
    /// Tasks dropped unrun because `limit` was reached, since the app started.
    pub refused: u64,
    /// Tasks that returned an error or panicked, since the app started.
    pub failed: u64,
}

impl LifespanHandle {
    pub(crate) fn new() -> Self {
        let (state, seen) = watch::channel(LifespanState::Starting);
        let shared = Shared {
            state,
            tasks: watch::Sender::new(()),
            drain_deadline: OnceLock::new(),
            background: BackgroundCounts {
                limit: AtomicUsize::new(DEFAULT_BACKGROUND_TASK_LIMIT),
                active: AtomicUsize::new(0),
                refused: AtomicU64::new(0),
                failed: AtomicU64::new(0),
            },
        };
        Self {
            shared: Arc::new(shared),
            seen,
        }
    }

    /// The current state.
    pub fn state(&self) -> LifespanState {
        *self.shared.state.borrow()
    }

    /// Waits until the state differs from the one this handle last reported (by `changed`, or
    /// when the handle was made or cloned), and returns it. States passed through quickly may
    /// be skipped: from `Ready` this may return `Stopped`. Once `Stopped`, it never completes.
    pub async fn changed(&mut self) -> LifespanState {
        if self.seen.changed().await.is_err() {
            // Every handle holds the sender, so it cannot be gone while `self` exists.
            std::future::pending::<()>().await;
        }
        *self.seen.borrow_and_update()
    }

    /// Waits until the app has reached `state` (or a later one), and returns the state then.
    pub async fn wait_for(&self, state: LifespanState) -> LifespanState {
        let mut receiver = self.shared.state.subscribe();
        let reached = receiver
            .wait_for(|current| *current >= state)
            .await
            .map(|current| *current);
        match reached {
            Ok(current) => current,
            // As in `changed`: the sender outlives every handle.
            Err(_) => std::future::pending().await,
        }
    }

    /// Completes when shutdown begins (the state reaches `Draining`), at once if it has.
    ///
    /// A long-lived response (a stream, server-sent events, a WebSocket) awaits this and ends
    /// itself, so the server's drain does not wait out the whole grace period for it.
    ///
    /// ```
    /// # async fn events(lifespan: oxapi::LifespanHandle) {
    /// let mut ticks = oxapi::tokio::time::interval(std::time::Duration::from_secs(1));
    /// let shutdown = lifespan.shutdown_signal();
    /// oxapi::tokio::pin!(shutdown);
    /// loop {
    ///     oxapi::tokio::select! {
    ///         _ = ticks.tick() => { /* send an event */ }
    ///         () = &mut shutdown => break, // say goodbye and end the stream
    ///     }
    /// }
    /// # }
    /// ```
    pub fn shutdown_signal(&self) -> impl Future<Output = ()> + Send + 'static {
        let handle = self.clone();
        async move {
            handle.wait_for(LifespanState::Draining).await;
        }
    }

    /// Spawns `task` on the current tokio runtime, as `tokio::spawn` does, and makes shutdown
    /// wait for it: after in-flight requests, before the shutdown hooks, within the grace
    /// period. For work a request starts but need not wait for (sending an email, writing an
    /// audit log).
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, as `tokio::spawn` does.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let guard = self.shared.tasks.subscribe();
        tokio::spawn(async move {
            let output = task.await;
            drop(guard);
            output
        })
    }

    /// The counts of the app's [`BackgroundTasks`](crate::BackgroundTasks).
    pub fn background_tasks(&self) -> BackgroundTaskStats {
        let counts = &self.shared.background;
        BackgroundTaskStats {
            active: counts.active.load(Ordering::Relaxed),
            limit: counts.limit.load(Ordering::Relaxed),
            refused: counts.refused.load(Ordering::Relaxed),
            failed: counts.failed.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn set_background_task_limit(&self, limit: usize) {
        self.shared.background.limit.store(limit, Ordering::Relaxed);
    }

    /// Counts one more background task if the limit allows it; else counts a refusal.
    pub(crate) fn admit_background_task(&self) -> bool {
        let counts = &self.shared.background;
        let limit = counts.limit.load(Ordering::Relaxed);
        let admitted = counts
            .active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |active| {
                (active < limit).then_some(active + 1)
            })
            .is_ok();
        if !admitted {
            counts.refused.fetch_add(1, Ordering::Relaxed);
        }
        admitted
    }

    /// An admitted background task has finished; `ok` is false if it failed or panicked.
    pub(crate) fn finish_background_task(&self, ok: bool) {
        let counts = &self.shared.background;
        counts.active.fetch_sub(1, Ordering::AcqRel);
        if !ok {
            counts.failed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Moves to `state` if it is later than the current one; an app never moves back.
    pub(crate) fn advance(&self, state: LifespanState) {
        self.shared.state.send_if_modified(|current| {
            let later = state > *current;
            if later {
                *current = state;
            }
            later
        });
    }

    /// Begins shutdown: `Draining`, with `grace` from now for requests and tasks to finish.
    pub(crate) fn begin_draining(&self, grace: Duration) {
        let _ = self
            .shared
            .drain_deadline
            .get_or_init(|| deadline_after(grace));
        self.advance(LifespanState::Draining);
    }

    /// When requests and tasks must have finished, once draining has begun.
    pub(crate) fn drain_deadline(&self) -> Option<Instant> {
        self.shared.drain_deadline.get().copied()
    }

    /// Waits for the tasks from [`LifespanHandle::spawn`], until the drain deadline. Without
    /// one (startup failed or was cancelled: nothing was served) it does not wait, since a
    /// task a startup hook spawned may be meant to run for the app's whole life.
    pub(crate) async fn drain_tasks(&self) {
        let Some(deadline) = self.drain_deadline() else {
            return;
        };
        if tokio::time::timeout_at(deadline, self.shared.tasks.closed())
            .await
            .is_err()
        {
            tracing::warn!(
                tasks = self.shared.tasks.receiver_count(),
                background_tasks = self.shared.background.active.load(Ordering::Relaxed),
                "shutdown grace period over; abandoning the background tasks still running"
            );
        }
    }
}

/// `grace` from now; a grace too long to add (`Duration::MAX`: wait for ever) is a deadline
/// no drain reaches, rather than an overflow.
fn deadline_after(grace: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(grace)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}
