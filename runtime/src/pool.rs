//! The blocking pool: the threads plain-`fn` handlers run on.
//!
//! Like tokio's `spawn_blocking`, a queued call gets a thread at once — an idle one woken, or
//! a new one started — so calls that block (on a file, a database driver, a sleep) run side by
//! side up to the thread limit. Unlike it, the queue is bounded: when every thread is busy and
//! the queue is full, a request gets `503 Service Unavailable` at once instead of waiting
//! without limit. Threads are named (`oxapi-blocking-N`), start on demand and leave after a
//! minute without work.
//!
//! Every decision (wake, start, refuse, leave) is taken by the pure state machine in
//! [`state`], under one lock; this module only carries the decisions out. A job's response
//! goes back to its request task through a tokio oneshot channel.
//!
//! The pool's threads run below the event loop by default ([`BlockingPriority::Low`]): a
//! plain fn that computes gets a share of a contended core without taking it from the async
//! routes, and gives it back every 0.1 ms.

mod priority;
mod state;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use tokio::sync::oneshot;

pub use priority::BlockingPriority;
#[cfg(test)]
use priority::LOW_NICE;
pub use state::BlockingPoolStats;
use state::{Limits, Next, Provide, State};

#[cfg(not(oxapi_loom))]
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
#[cfg(not(oxapi_loom))]
use std::thread;

#[cfg(oxapi_loom)]
use loom::sync::{Arc, Condvar, Mutex, MutexGuard};
#[cfg(oxapi_loom)]
use loom::thread;
#[cfg(oxapi_loom)]
use std::sync::PoisonError;

use crate::body::Response;

/// A plain-fn call, ready to run on the pool.
pub(crate) type Job = Box<dyn FnOnce() -> Response + Send>;

/// What a job produced: its response, or the panic it raised.
pub(crate) type Outcome = std::thread::Result<Response>;

/// The pool's size limits and scheduling priority.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PoolConfig {
    pub(crate) max_threads: usize,
    pub(crate) queue_capacity: usize,
    pub(crate) priority: BlockingPriority,
    /// How long a thread waits for work before it exits.
    pub(crate) keep_alive: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_threads: 64,
            queue_capacity: 1024,
            priority: BlockingPriority::default(),
            keep_alive: Duration::from_secs(60),
        }
    }
}

/// The queue is full (or the pool is closing): the request is refused rather than queued
/// without bound.
#[derive(Debug)]
pub(crate) struct Overloaded;

/// Why [`BlockingPool::call`] has no value.
pub(crate) enum CallError {
    /// The pool's queue was full, or it could not start a thread for the call.
    Refused,
    /// The call panicked; the payload.
    Panicked(Box<dyn std::any::Any + Send>),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused => f.write_str("the blocking pool refused the call: its queue is full"),
            Self::Panicked(panic) => write!(
                f,
                "panicked: {}",
                crate::problem::panic_message(panic.as_ref())
            ),
        }
    }
}

/// A job and where its outcome goes.
pub(crate) struct Queued {
    job: Job,
    reply: oneshot::Sender<Outcome>,
}

impl std::fmt::Debug for Queued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queued").finish_non_exhaustive()
    }
}

impl Run for Queued {
    fn run(self) {
        // The request task may be gone (its client left): the outcome is then dropped here.
        let _ = self.reply.send(catch_unwind(AssertUnwindSafe(self.job)));
    }
}

/// Work the pool's threads can run; [`Queued`] in the server, simpler jobs in the models.
pub(crate) trait Run: Send + 'static {
    fn run(self);
}

/// The future a request task awaits: the job's outcome, or an error if the job was dropped
/// without running (the pool could not start a thread for it).
pub(crate) type Wait = oneshot::Receiver<Outcome>;

/// The pool of threads for plain-fn calls.
#[derive(Debug)]
pub(crate) struct BlockingPool {
    threads: Threads<Queued>,
}

impl BlockingPool {
    pub(crate) fn new(config: PoolConfig) -> Self {
        Self {
            threads: Threads::new(config),
        }
    }

    /// Queues `job` and finds it a thread. The returned future resolves to the job's outcome.
    pub(crate) fn submit(&self, job: Job) -> Result<Wait, Overloaded> {
        let (reply, wait) = oneshot::channel();
        self.threads.submit(Queued { job, reply })?;
        Ok(wait)
    }

    /// Runs `call` on the pool and resolves to its value; for work that is not a handler's
    /// (a background task, an iterator's next item). The job ABI returns a `Response`, so the
    /// value comes back on a channel of its own. Queued at once; the future only waits.
    pub(crate) fn call<T, F>(
        &self,
        call: F,
    ) -> impl Future<Output = Result<T, CallError>> + Send + 'static
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (sender, value) = oneshot::channel();
        let submitted = self.submit(Box::new(move || {
            let _ = sender.send(call());
            Response::default()
        }));
        async move {
            let outcome = submitted
                .map_err(|Overloaded| CallError::Refused)?
                .await
                .map_err(|_dropped| CallError::Refused)?;
            outcome.map_err(CallError::Panicked)?;
            value.await.map_err(|_dropped| CallError::Refused)
        }
    }

    /// The pool's counts now.
    pub(crate) fn stats(&self) -> BlockingPoolStats {
        self.threads.shared.lock().stats()
    }
}

/// The threads and their queue, for any kind of job.
#[derive(Debug)]
pub(crate) struct Threads<J: Run> {
    shared: Arc<Shared<J>>,
}

#[derive(Debug)]
struct Shared<J> {
    config: PoolConfig,
    state: Mutex<State<J>>,
    /// Idle threads wait here to be notified.
    work: Condvar,
}

impl<J> Shared<J> {
    fn lock(&self) -> MutexGuard<'_, State<J>> {
        // A job never runs under the lock, and the state machine does not panic; recover
        // regardless rather than take the server down.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<J: Run> Threads<J> {
    pub(crate) fn new(config: PoolConfig) -> Self {
        let limits = Limits {
            max_threads: config.max_threads,
            queue_capacity: config.queue_capacity,
        };
        Self {
            shared: Arc::new(Shared {
                config,
                state: Mutex::new(State::new(limits)),
                work: Condvar::new(),
            }),
        }
    }

    pub(crate) fn submit(&self, job: J) -> Result<(), Overloaded> {
        let provide = self
            .shared
            .lock()
            .submit(job)
            .map_err(|_refused| Overloaded)?;
        provide_thread(&self.shared, provide);
        Ok(())
    }
}

impl<J: Run> Drop for Threads<J> {
    /// Queued jobs still run; then the threads leave.
    fn drop(&mut self) {
        self.shared.lock().close();
        self.shared.work.notify_all();
    }
}

/// Carries out `provide`, outside the lock: a notification and a thread start are system
/// calls.
fn provide_thread<J: Run>(shared: &Arc<Shared<J>>, provide: Provide) {
    match provide {
        Provide::Nothing => {}
        Provide::Wake => shared.work.notify_one(),
        Provide::Spawn => spawn(shared),
    }
}

fn spawn<J: Run>(shared: &Arc<Shared<J>>) {
    let pool = Arc::clone(shared);
    let index = {
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    };
    let started = thread::Builder::new()
        .name(format!("oxapi-blocking-{index}"))
        .spawn(move || {
            pool.config.priority.apply_to_current_thread();
            work(&pool);
        });
    if let Err(error) = started {
        tracing::error!(%error, "could not start a blocking-pool thread");
        let (provide, refused) = shared.lock().spawn_failed();
        // Dropped outside the lock: each refused job's request gets a 503.
        drop(refused);
        provide_thread(shared, provide);
    }
}

/// A pool thread's life: run jobs while there are any, wait for more, leave when the pool
/// closes or no job came for the keep-alive.
///
/// The lock is held from each decision to wait until the thread waits on the condition
/// variable (which releases it atomically): a submitter that counts this thread as idle and
/// notifies it can only do so once it really waits, so no notification is lost.
fn work<J: Run>(shared: &Arc<Shared<J>>) {
    let mut state = shared.lock();
    let mut next = state.started();
    loop {
        next = match next {
            Next::Run(job, provide) => {
                drop(state);
                provide_thread(shared, provide);
                job.run();
                state = shared.lock();
                state.finished()
            }
            Next::Wait => {
                let (woken, timeout) = shared
                    .work
                    .wait_timeout(state, shared.config.keep_alive)
                    .unwrap_or_else(PoisonError::into_inner);
                state = woken;
                state.woke(timeout.timed_out())
            }
            Next::Exit => return,
        };
    }
}

#[cfg(test)]
mod tests;

#[cfg(all(test, oxapi_loom))]
mod loom_models;
