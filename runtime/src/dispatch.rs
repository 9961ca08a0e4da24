//! The blocking pool: where plain-`fn` handlers run, so they never stall the event loop.
//!
//! Unlike tokio's `spawn_blocking`, whose queue has no bound, this pool has a fixed number of
//! named threads (`oxapi-blocking-N`) and a bounded queue: when both are full, a request gets
//! `503 Service Unavailable` at once, visibly, instead of waiting without limit.
//!
//! By default the pool's threads run in the background scheduling class (`SCHED_IDLE` on
//! Linux): when a core is contended, the event loop always runs first, so CPU-heavy plain-fn
//! handlers slow down only each other, never the async routes.

use http::StatusCode;
use http::header::{HeaderValue, RETRY_AFTER};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::extract::RequestContext;
use crate::problem::{Problem, kinds};
use crate::response::Response;

type Job = Box<dyn FnOnce() + Send>;

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
            priority: BlockingPriority::Background,
            keep_alive: Duration::from_secs(60),
        }
    }
}

/// How the blocking pool's threads are scheduled against the event loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BlockingPriority {
    /// Below every normal thread (`SCHED_IDLE` on Linux, the lowest priority elsewhere): on
    /// a contended core the event loop runs first, so async routes keep their latency while
    /// plain-fn handlers compute. Plain-fn handlers get the CPU the event loop leaves.
    #[default]
    Background,
    /// The same priority as the event loop: plain-fn handlers and async routes share a
    /// contended core equally.
    Normal,
}

/// Threads are started on demand, up to the limit, and live as long as the pool.
///
/// One mutex guards the queue and the counts, and idle threads sleep on a condition variable:
/// a thread that runs out of work parks at once instead of spinning, which on a contended
/// core would take CPU from the event loop.
#[derive(Debug)]
pub(crate) struct BlockingPool {
    shared: Arc<PoolShared>,
    max_threads: usize,
    queue_capacity: usize,
    priority: BlockingPriority,
    keep_alive: Duration,
}

#[derive(Debug, Default)]
struct PoolShared {
    state: Mutex<PoolState>,
    work: Condvar,
}

#[derive(Default)]
struct PoolState {
    queue: VecDeque<Job>,
    /// Threads started.
    threads: usize,
    /// Threads waiting on the condition variable.
    sleeping: usize,
    /// Notifications sent to sleeping threads that have not woken yet. Each wakes a distinct
    /// thread, so `sleeping - wakeups` threads are still free to wake.
    wakeups: usize,
    /// The pool was dropped: threads finish the queue and exit.
    closed: bool,
}

impl std::fmt::Debug for PoolState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolState")
            .field("queued", &self.queue.len())
            .field("threads", &self.threads)
            .field("sleeping", &self.sleeping)
            .field("wakeups", &self.wakeups)
            .finish()
    }
}

/// The queue is full: the request is refused rather than queued without bound.
#[derive(Debug)]
pub(crate) struct Overloaded;

impl BlockingPool {
    pub(crate) fn new(config: PoolConfig) -> Self {
        Self {
            shared: Arc::default(),
            max_threads: config.max_threads,
            queue_capacity: config.queue_capacity,
            priority: config.priority,
            keep_alive: config.keep_alive,
        }
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // A job never runs under the lock, so a panic cannot poison it; recover regardless.
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `job`, waking an idle thread or starting one if the limit allows.
    pub(crate) fn submit(&self, job: Job) -> Result<(), Overloaded> {
        let mut state = self.lock();
        if state.closed || state.queue.len() >= self.queue_capacity {
            return Err(Overloaded);
        }
        state.queue.push_back(job);
        // One thread on its way per queued job: wake a sleeping one if the threads already
        // woken are fewer than the jobs, else start one if the limit allows. A notification
        // is a system call even when nobody waits, so none is sent that wakes no one.
        let wake = state.wakeups < state.queue.len() && state.sleeping > state.wakeups;
        if wake {
            state.wakeups += 1;
        }
        let spawn = !wake && state.queue.len() > state.wakeups && state.threads < self.max_threads;
        let index = state.threads;
        if spawn {
            state.threads += 1;
        }
        drop(state);
        if wake {
            self.shared.work.notify_one();
        }
        if spawn {
            self.spawn_thread(index);
        }
        Ok(())
    }

    fn spawn_thread(&self, index: usize) {
        let shared = Arc::clone(&self.shared);
        let priority = self.priority;
        let keep_alive = self.keep_alive;
        let spawned = std::thread::Builder::new()
            .name(format!("oxapi-blocking-{index}"))
            .spawn(move || {
                lower_priority(priority);
                worker(&shared, keep_alive);
            });
        if let Err(error) = spawned {
            self.lock().threads -= 1;
            tracing::error!(%error, "could not start a blocking-pool thread");
        }
    }

    /// Threads started so far.
    #[cfg(test)]
    pub(crate) fn threads(&self) -> usize {
        self.lock().threads
    }
}

impl Drop for BlockingPool {
    fn drop(&mut self) {
        self.lock().closed = true;
        self.shared.work.notify_all();
    }
}

/// Moves the calling thread to the background class, if asked. Failing to is not fatal:
/// the pool works, with less isolation, and says so once.
fn lower_priority(priority: BlockingPriority) {
    if priority != BlockingPriority::Background {
        return;
    }
    #[cfg(target_os = "linux")]
    let result = thread_priority::set_thread_priority_and_policy(
        thread_priority::thread_native_id(),
        thread_priority::ThreadPriority::Min,
        thread_priority::ThreadSchedulePolicy::Normal(
            thread_priority::NormalThreadSchedulePolicy::Idle,
        ),
    );
    #[cfg(not(target_os = "linux"))]
    let result = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min);
    if let Err(error) = result {
        static WARNED: std::sync::Once = std::sync::Once::new();
        WARNED.call_once(|| {
            tracing::warn!(
                ?error,
                "could not lower the blocking pool's thread priority"
            );
        });
    }
}

/// Runs jobs until the pool is dropped or no job came for `keep_alive`; then the thread exits,
/// so a burst of plain-fn calls does not leave its threads behind. Every decision is taken
/// under the pool's lock, so `submit` always sees whether a thread is left to take its job.
fn worker(shared: &PoolShared, keep_alive: Duration) {
    let mut state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        if let Some(job) = state.queue.pop_front() {
            drop(state);
            // Jobs catch their own panics (see `run_blocking`); the thread lives on.
            job();
            state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
            continue;
        }
        if state.closed {
            state.threads -= 1;
            return;
        }
        state.sleeping += 1;
        let (next, timeout) = shared
            .work
            .wait_timeout(state, keep_alive)
            .unwrap_or_else(PoisonError::into_inner);
        state = next;
        state.sleeping -= 1;
        // Woken or not (a timeout or a spurious wake-up), this thread now takes from the
        // queue: it stands for one notification in flight. Counting one too few only means
        // an extra notification later; a queued job is never left without a thread.
        state.wakeups = state.wakeups.saturating_sub(1);
        if timeout.timed_out() && state.queue.is_empty() {
            state.threads -= 1;
            return;
        }
    }
}

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
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let result = catch_unwind(AssertUnwindSafe(call));
        // The client may have gone away; then nobody waits for the response.
        let _ = sender.send(result);
    });
    run_job(&ctx.app().pool, job, receiver)
}

type JobResult = std::thread::Result<Response>;

async fn run_job(
    pool: &BlockingPool,
    job: Job,
    receiver: tokio::sync::oneshot::Receiver<JobResult>,
) -> Response {
    if pool.submit(job).is_err() {
        tracing::warn!("blocking pool queue is full; refusing a request with 503");
        let mut response = Problem::new(StatusCode::SERVICE_UNAVAILABLE)
            .with_type(kinds::OVERLOADED)
            .with_detail("the server is busy; retry shortly")
            .to_response();
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    }
    match receiver.await {
        Ok(Ok(response)) => response,
        Ok(Err(panic)) => crate::service::panic_response(panic.as_ref()),
        Err(_) => crate::service::panic_response(&"blocking job dropped"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn threads_are_named_and_bounded() {
        let pool = BlockingPool::new(PoolConfig {
            max_threads: 2,
            queue_capacity: 16,
            priority: BlockingPriority::Background,
            keep_alive: Duration::from_secs(60),
        });
        let (tx, rx) = mpsc::channel();
        for _ in 0..8 {
            let tx = tx.clone();
            pool.submit(Box::new(move || {
                let name = std::thread::current().name().map(str::to_owned);
                tx.send(name).unwrap();
            }))
            .unwrap();
        }
        for _ in 0..8 {
            let name = rx.recv().unwrap().unwrap();
            assert!(name.starts_with("oxapi-blocking-"), "{name}");
        }
        assert!(pool.threads() <= 2);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn background_threads_are_in_the_idle_class() {
        use thread_priority::{NormalThreadSchedulePolicy, ThreadSchedulePolicy};
        let policy_in_pool = |priority| {
            let pool = BlockingPool::new(PoolConfig {
                max_threads: 1,
                queue_capacity: 1,
                priority,
                keep_alive: Duration::from_secs(60),
            });
            let (tx, rx) = mpsc::channel();
            pool.submit(Box::new(move || {
                tx.send(thread_priority::thread_schedule_policy().unwrap())
                    .unwrap();
            }))
            .unwrap();
            rx.recv().unwrap()
        };
        assert_eq!(
            policy_in_pool(BlockingPriority::Background),
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle)
        );
        assert_eq!(
            policy_in_pool(BlockingPriority::Normal),
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other)
        );
    }

    #[test]
    fn idle_threads_exit_and_new_work_starts_new_ones() {
        let pool = BlockingPool::new(PoolConfig {
            max_threads: 4,
            queue_capacity: 16,
            priority: BlockingPriority::Normal,
            keep_alive: Duration::from_millis(20),
        });
        let run = |pool: &BlockingPool| {
            let (tx, rx) = mpsc::channel();
            pool.submit(Box::new(move || tx.send(()).unwrap())).unwrap();
            rx.recv().unwrap();
        };
        run(&pool);
        // Not a timing assertion: wait (boundedly) for the idle thread to leave.
        for _ in 0..500 {
            if pool.threads() == 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(pool.threads(), 0, "the idle thread exited");
        // With no thread left, the job still runs: submitting started a new one.
        run(&pool);
    }

    #[test]
    fn a_full_queue_refuses_work() {
        let pool = BlockingPool::new(PoolConfig {
            max_threads: 1,
            queue_capacity: 1,
            priority: BlockingPriority::Normal,
            keep_alive: Duration::from_secs(60),
        });
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = mpsc::channel::<()>();
        pool.submit(Box::new(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        }))
        .unwrap();
        started_rx.recv().unwrap();
        // The one thread is busy: one job fits in the queue, the next does not.
        pool.submit(Box::new(|| {})).unwrap();
        assert!(pool.submit(Box::new(|| {})).is_err());
        release_tx.send(()).unwrap();
    }
}
