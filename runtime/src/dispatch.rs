//! The blocking pool: where plain-`fn` handlers run, so they never stall the event loop.
//!
//! Unlike tokio's `spawn_blocking`, whose queue has no bound, this pool has a fixed number of
//! named threads (`oxapi-blocking-N`) and a bounded queue: when both are full, a request gets
//! `503 Service Unavailable` at once, visibly, instead of waiting without limit.
//!
//! By default the pool's threads run in the background scheduling class (`SCHED_IDLE` on
//! Linux): when a core is contended, the event loop always runs first, so CPU-heavy plain-fn
//! handlers slow down only each other, never the async routes.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crossbeam_channel::{Receiver, Sender, TrySendError};
use http::StatusCode;
use http::header::{HeaderValue, RETRY_AFTER};

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
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_threads: 64,
            queue_capacity: 1024,
            priority: BlockingPriority::Background,
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
#[derive(Debug)]
pub(crate) struct BlockingPool {
    sender: Sender<Job>,
    receiver: Receiver<Job>,
    counts: Arc<Counts>,
    max_threads: usize,
    priority: BlockingPriority,
}

#[derive(Debug, Default)]
struct Counts {
    /// Threads started.
    threads: AtomicUsize,
    /// Threads waiting for a job.
    idle: AtomicUsize,
}

/// The queue is full: the request is refused rather than queued without bound.
#[derive(Debug)]
pub(crate) struct Overloaded;

impl BlockingPool {
    pub(crate) fn new(config: PoolConfig) -> Self {
        let (sender, receiver) = crossbeam_channel::bounded(config.queue_capacity);
        Self {
            sender,
            receiver,
            counts: Arc::default(),
            max_threads: config.max_threads,
            priority: config.priority,
        }
    }

    /// Queues `job`, starting a thread if none is idle and the limit allows.
    pub(crate) fn submit(&self, job: Job) -> Result<(), Overloaded> {
        match self.sender.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => return Err(Overloaded),
        }
        if self.counts.idle.load(Ordering::Acquire) == 0 {
            self.spawn_thread();
        }
        Ok(())
    }

    fn spawn_thread(&self) {
        // Reserve a thread slot first, so concurrent submits never exceed the limit.
        let reserved = self
            .counts
            .threads
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max_threads).then_some(n + 1)
            });
        let Ok(index) = reserved else { return };
        let receiver = self.receiver.clone();
        let counts = Arc::clone(&self.counts);
        let priority = self.priority;
        let spawned = std::thread::Builder::new()
            .name(format!("oxapi-blocking-{index}"))
            .spawn(move || {
                lower_priority(priority);
                worker(&receiver, &counts);
            });
        if let Err(error) = spawned {
            self.counts.threads.fetch_sub(1, Ordering::AcqRel);
            tracing::error!(%error, "could not start a blocking-pool thread");
        }
    }

    /// Threads started so far.
    #[cfg(test)]
    pub(crate) fn threads(&self) -> usize {
        self.counts.threads.load(Ordering::Acquire)
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

fn worker(receiver: &Receiver<Job>, counts: &Counts) {
    loop {
        counts.idle.fetch_add(1, Ordering::AcqRel);
        let job = receiver.recv();
        counts.idle.fetch_sub(1, Ordering::AcqRel);
        match job {
            // Jobs catch their own panics (see `run_blocking`); the thread lives on.
            Ok(job) => job(),
            // Every sender is gone: the app was dropped.
            Err(_) => return,
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
    fn a_full_queue_refuses_work() {
        let pool = BlockingPool::new(PoolConfig {
            max_threads: 1,
            queue_capacity: 1,
            priority: BlockingPriority::Normal,
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
