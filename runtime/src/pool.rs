//! The blocking pool: the threads plain-`fn` handlers run on.
//!
//! Unlike tokio's `spawn_blocking`, whose queue has no bound, this pool has a bounded number of
//! named threads (`oxapi-blocking-N`) and a bounded queue: when both are full, a request gets
//! `503 Service Unavailable` at once, visibly, instead of waiting without limit.
//!
//! Plain fns either compute or block (on a file, a database driver, a sleep), and the pool
//! cannot know which from the code. It finds out by looking: it keeps as many jobs *computing*
//! as the process has cores, and when a backlog forms, a monitor looks at the busy threads
//! (on Linux, at their scheduler state, see [`probe`]) once per millisecond and starts another
//! job only for each one that is blocked. So blocking jobs still run side by side, up to the
//! thread limit, while CPU-bound jobs never crowd the cores with more threads than can run,
//! which would cost the event loop its latency; and a burst of short jobs is taken in turn by
//! one thread instead of waking one thread each.
//!
//! The responses of such a burst are handed back together (see [`completion`]): a thread that
//! finishes a job while more are queued holds the result, for at most [`HOLD`], and the last
//! job of the burst wakes one request task for all of them.
//!
//! By default the pool's threads run in the background scheduling class (`SCHED_IDLE` on
//! Linux): when a core is contended, the event loop always runs first, so CPU-heavy plain-fn
//! handlers slow down only each other, never the async routes.

mod completion;
mod probe;

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

pub(crate) use completion::Wait;

use crate::body::Response;
use completion::Completion;
use probe::Probe;

/// A plain-fn call, ready to run on the pool. A panic in it becomes its
/// [`Outcome`](completion::Outcome).
pub(crate) type Job = Box<dyn FnOnce() -> Response + Send>;

/// How long the monitor waits before looking at a backlog again: short jobs finish within it,
/// so the monitor rarely acts for them; a blocked job delays the queue behind it by about this.
const TICK: Duration = Duration::from_millis(1);

/// The longest a finished job's response is held back to be handed over with the rest of its
/// burst. Past it, the next job to finish (or the monitor, if that job is slow) hands over
/// everything held.
const HOLD: Duration = Duration::from_micros(200);

/// The pool's size limits and scheduling priority.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PoolConfig {
    pub(crate) max_threads: usize,
    pub(crate) queue_capacity: usize,
    pub(crate) priority: BlockingPriority,
    /// How long a thread waits for work before it exits.
    pub(crate) keep_alive: Duration,
    /// How many jobs may compute at once: the cores this process may use.
    pub(crate) computing: usize,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_threads: 64,
            queue_capacity: 1024,
            priority: BlockingPriority::Background,
            keep_alive: Duration::from_secs(60),
            computing: std::thread::available_parallelism().map_or(1, usize::from),
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

/// Threads are started on demand, up to the limit, and exit after `keep_alive` without work.
///
/// One mutex guards the queue and the counts. Idle threads sleep on a condition variable,
/// and the monitor on another: nothing spins, which on a contended core would take CPU from
/// the event loop.
#[derive(Debug)]
pub(crate) struct BlockingPool {
    shared: Arc<PoolShared>,
}

#[derive(Debug)]
struct PoolShared {
    config: PoolConfig,
    state: Mutex<PoolState>,
    /// Idle threads wait here for a job.
    work: Condvar,
    /// The monitor waits here for a backlog or held results.
    backlog: Condvar,
}

/// A queued call and the slot its outcome goes to.
struct Queued {
    job: Job,
    completion: Arc<Completion>,
}

#[derive(Default)]
struct PoolState {
    queue: VecDeque<Queued>,
    /// Threads started, the monitor not counted.
    threads: usize,
    /// Threads waiting on `work`.
    sleeping: usize,
    /// Threads on their way to the queue: notified and not yet awake, or started and not yet
    /// running. While one is, nobody else is woken: it takes what is queued.
    coming: usize,
    /// The threads running a job, and how to look at each.
    busy: Vec<Arc<Probe>>,
    /// Finished jobs whose tasks are not woken yet, and since when the first waits.
    held: Vec<Arc<Completion>>,
    held_since: Option<Instant>,
    monitor: MonitorState,
    /// The pool was dropped: threads finish the queue and exit.
    closed: bool,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum MonitorState {
    /// No monitor thread runs.
    #[default]
    Stopped,
    /// Waiting on `backlog`.
    Waiting,
    /// Notified, or looking at a backlog.
    Watching,
}

impl std::fmt::Debug for PoolState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolState")
            .field("queued", &self.queue.len())
            .field("threads", &self.threads)
            .field("sleeping", &self.sleeping)
            .field("coming", &self.coming)
            .field("busy", &self.busy.len())
            .field("held", &self.held.len())
            .field("monitor", &self.monitor)
            .finish()
    }
}

/// What to do, once the lock is released, about jobs waiting in the queue.
#[derive(Debug, PartialEq, Eq)]
enum Action {
    Nothing,
    Wake,
    Spawn(usize),
    NotifyMonitor,
    StartMonitor,
}

impl PoolState {
    /// Decides how queued jobs get a thread: wake or start one while fewer jobs than cores
    /// run, else leave it to the monitor, which can tell a computing job from a blocked one.
    fn provide(&mut self, config: &PoolConfig) -> Action {
        if self.queue.is_empty() || self.coming > 0 || self.closed {
            return Action::Nothing;
        }
        if self.busy.len() < config.computing {
            return self.add_thread(config);
        }
        self.watch()
    }

    /// Makes sure the monitor is watching.
    fn watch(&mut self) -> Action {
        match self.monitor {
            MonitorState::Watching => Action::Nothing,
            MonitorState::Waiting => {
                self.monitor = MonitorState::Watching;
                Action::NotifyMonitor
            }
            MonitorState::Stopped => {
                self.monitor = MonitorState::Watching;
                Action::StartMonitor
            }
        }
    }

    /// Wakes a sleeping thread or, if none sleeps, starts one within the limit.
    fn add_thread(&mut self, config: &PoolConfig) -> Action {
        if self.sleeping > self.coming {
            self.coming += 1;
            Action::Wake
        } else if self.threads < config.max_threads {
            self.coming += 1;
            self.threads += 1;
            Action::Spawn(self.threads - 1)
        } else {
            // Every thread is busy: the first to finish takes the next job.
            Action::Nothing
        }
    }

    /// Jobs wait while no thread is on its way to them.
    fn backlogged(&self) -> bool {
        !self.queue.is_empty() && self.coming == 0
    }

    /// Something for the monitor to watch: a backlog, or results held back.
    fn watched(&self) -> bool {
        self.backlogged() || !self.held.is_empty()
    }

    /// Files a finished job. While more jobs are queued (and so a thread is about to finish
    /// another), its task is not woken yet, up to [`HOLD`]; otherwise everything held moves
    /// to `batch`, to be handed over now.
    fn finished(
        &mut self,
        completion: Arc<Completion>,
        batch: &mut Vec<Arc<Completion>>,
    ) -> Action {
        self.held.push(completion);
        if self.queue.is_empty() || self.closed {
            self.release(batch);
            return Action::Nothing;
        }
        match self.held_since {
            None => {
                self.held_since = Some(Instant::now());
                self.watch()
            }
            Some(since) if since.elapsed() < HOLD => Action::Nothing,
            Some(_) => {
                self.release(batch);
                Action::Nothing
            }
        }
    }

    /// Moves every held result to `batch`, to be handed over. Both vectors keep their
    /// capacity, so a steady stream of jobs does not allocate here.
    fn release(&mut self, batch: &mut Vec<Arc<Completion>>) {
        self.held_since = None;
        batch.append(&mut self.held);
    }
}

/// The queue is full: the request is refused rather than queued without bound.
#[derive(Debug)]
pub(crate) struct Overloaded;

impl BlockingPool {
    pub(crate) fn new(config: PoolConfig) -> Self {
        Self {
            shared: Arc::new(PoolShared {
                config: PoolConfig {
                    computing: config.computing.max(1),
                    ..config
                },
                state: Mutex::default(),
                work: Condvar::new(),
                backlog: Condvar::new(),
            }),
        }
    }

    /// Queues `job` and, if no thread is on its way, finds it one. The returned future
    /// resolves to the job's outcome.
    pub(crate) fn submit(&self, job: Job) -> Result<Wait, Overloaded> {
        let completion = Arc::new(Completion::default());
        let wait = completion.wait();
        let mut state = self.shared.lock();
        if state.closed || state.queue.len() >= self.shared.config.queue_capacity {
            return Err(Overloaded);
        }
        state.queue.push_back(Queued { job, completion });
        let action = state.provide(&self.shared.config);
        drop(state);
        act(&self.shared, action);
        Ok(wait)
    }

    /// Threads started so far.
    #[cfg(test)]
    pub(crate) fn threads(&self) -> usize {
        self.shared.lock().threads
    }
}

impl Drop for BlockingPool {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.work.notify_all();
        self.shared.backlog.notify_all();
    }
}

impl PoolShared {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // A job never runs under the lock, so a panic cannot poison it; recover regardless.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Carries out `action`, outside the lock: notifications and thread starts are system calls.
fn act(shared: &Arc<PoolShared>, action: Action) {
    match action {
        Action::Nothing => {}
        Action::Wake => shared.work.notify_one(),
        Action::NotifyMonitor => shared.backlog.notify_one(),
        Action::Spawn(index) => {
            let pool = Arc::clone(shared);
            let spawned = std::thread::Builder::new()
                .name(format!("oxapi-blocking-{index}"))
                .spawn(move || {
                    lower_priority(pool.config.priority);
                    worker(&pool);
                });
            if let Err(error) = spawned {
                let mut state = shared.lock();
                state.threads -= 1;
                state.coming -= 1;
                drop(state);
                tracing::error!(%error, "could not start a blocking-pool thread");
            }
        }
        Action::StartMonitor => {
            let pool = Arc::clone(shared);
            let spawned = std::thread::Builder::new()
                .name("oxapi-blocking-monitor".to_owned())
                .spawn(move || monitor(&pool));
            if let Err(error) = spawned {
                shared.lock().monitor = MonitorState::Stopped;
                tracing::error!(%error, "could not start the blocking-pool monitor");
            }
        }
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
fn worker(shared: &Arc<PoolShared>) {
    let probe = Arc::new(Probe::of_current_thread());
    let mut batch = Vec::new();
    let mut state = shared.lock();
    // Started by `submit`, so counted as on its way until here.
    state.coming = state.coming.saturating_sub(1);
    loop {
        if let Some(Queued { job, completion }) = state.queue.pop_front() {
            state.busy.push(Arc::clone(&probe));
            // More waiting: another thread may be due while fewer jobs than cores run.
            let action = state.provide(&shared.config);
            drop(state);
            act(shared, action);
            completion.finish(catch_unwind(AssertUnwindSafe(job)));
            state = shared.lock();
            if let Some(index) = state.busy.iter().position(|p| Arc::ptr_eq(p, &probe)) {
                state.busy.swap_remove(index);
            }
            let action = state.finished(completion, &mut batch);
            if !batch.is_empty() || action != Action::Nothing {
                drop(state);
                act(shared, action);
                completion::wake_all(&mut batch);
                state = shared.lock();
            }
            continue;
        }
        if state.closed {
            state.threads -= 1;
            return;
        }
        state.sleeping += 1;
        let (next, timeout) = shared
            .work
            .wait_timeout(state, shared.config.keep_alive)
            .unwrap_or_else(PoisonError::into_inner);
        state = next;
        state.sleeping -= 1;
        // Woken or not (a timeout or a spurious wake-up), this thread now takes from the
        // queue: it stands for one notification in flight. Counting one too few only means
        // an extra notification later; a queued job is never left without a thread.
        state.coming = state.coming.saturating_sub(1);
        if timeout.timed_out() && state.queue.is_empty() {
            state.threads -= 1;
            return;
        }
    }
}

/// Watches a backlog: once per tick, counts the busy threads that compute and adds threads
/// until as many jobs compute as there are cores. Blocked jobs do not count, so blocking
/// work still runs side by side; computing jobs do, so they never outnumber the cores.
/// It also hands over results held longer than [`HOLD`], when the job after them is slow.
fn monitor(shared: &Arc<PoolShared>) {
    let config = shared.config;
    let mut batch = Vec::new();
    let mut state = shared.lock();
    loop {
        if state.closed && state.held.is_empty() {
            state.monitor = MonitorState::Stopped;
            return;
        }
        if !state.watched() {
            state.monitor = MonitorState::Waiting;
            let (next, timeout) = shared
                .backlog
                .wait_timeout(state, config.keep_alive)
                .unwrap_or_else(PoisonError::into_inner);
            state = next;
            if timeout.timed_out() && !state.watched() {
                state.monitor = MonitorState::Stopped;
                return;
            }
            state.monitor = MonitorState::Watching;
            continue;
        }
        drop(state);
        // Give the busy threads a tick to finish: short jobs do, and then nothing is needed.
        std::thread::sleep(TICK);
        let probes = shared.lock().busy.clone();
        let computing = probes.iter().filter(|probe| probe.computing()).count();
        state = shared.lock();
        if state
            .held_since
            .is_some_and(|since| since.elapsed() >= HOLD)
        {
            state.release(&mut batch);
        }
        let mut actions = Vec::new();
        for _ in computing..config.computing {
            if !state.backlogged() {
                break;
            }
            match state.add_thread(&config) {
                Action::Nothing => break,
                action => actions.push(action),
            }
        }
        if !actions.is_empty() || !batch.is_empty() {
            drop(state);
            completion::wake_all(&mut batch);
            for action in actions {
                act(shared, action);
            }
            state = shared.lock();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::Pin;
    use std::sync::mpsc;
    use std::time::Instant;

    /// A job that runs `f` and answers with an empty response.
    fn job(f: impl FnOnce() + Send + 'static) -> Job {
        Box::new(move || {
            f();
            Response::new(crate::body::Body::empty())
        })
    }

    fn config(max_threads: usize, queue_capacity: usize, computing: usize) -> PoolConfig {
        PoolConfig {
            max_threads,
            queue_capacity,
            priority: BlockingPriority::Normal,
            keep_alive: Duration::from_secs(60),
            computing,
        }
    }

    #[test]
    fn threads_are_named_and_bounded() {
        let pool = BlockingPool::new(config(2, 16, 2));
        let (tx, rx) = mpsc::channel();
        for _ in 0..8 {
            let tx = tx.clone();
            pool.submit(job(move || {
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
                priority,
                ..config(1, 1, 1)
            });
            let (tx, rx) = mpsc::channel();
            pool.submit(job(move || {
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
            keep_alive: Duration::from_millis(20),
            ..config(4, 16, 1)
        });
        let run = |pool: &BlockingPool| {
            let (tx, rx) = mpsc::channel();
            pool.submit(job(move || tx.send(()).unwrap())).unwrap();
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
        let pool = BlockingPool::new(config(1, 1, 1));
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = mpsc::channel::<()>();
        pool.submit(job(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        }))
        .unwrap();
        started_rx.recv().unwrap();
        // The one thread is busy: one job fits in the queue, the next does not.
        pool.submit(job(|| {})).unwrap();
        assert!(pool.submit(job(|| {})).is_err());
        release_tx.send(()).unwrap();
    }

    /// Jobs that block all run at once, however few cores: each waits for the last to start,
    /// which only works if the monitor gives every one of them a thread.
    #[test]
    fn blocked_jobs_run_side_by_side() {
        const JOBS: usize = 8;
        let pool = BlockingPool::new(config(JOBS, 64, 1));
        let barrier = Arc::new(std::sync::Barrier::new(JOBS + 1));
        let (tx, rx) = mpsc::channel();
        for _ in 0..JOBS {
            let barrier = Arc::clone(&barrier);
            let tx = tx.clone();
            pool.submit(job(move || {
                barrier.wait();
                tx.send(()).unwrap();
            }))
            .unwrap();
        }
        barrier.wait();
        for _ in 0..JOBS {
            rx.recv_timeout(Duration::from_secs(10))
                .expect("every blocked job got a thread");
        }
        assert_eq!(pool.threads(), JOBS);
    }

    /// Jobs that compute do not get a thread each: with one core allowed, eight jobs that
    /// spin for a while run one after another on one thread.
    #[cfg(target_os = "linux")]
    #[test]
    fn computing_jobs_do_not_outnumber_the_cores() {
        const JOBS: usize = 8;
        let pool = BlockingPool::new(config(JOBS, 64, 1));
        let (tx, rx) = mpsc::channel();
        for _ in 0..JOBS {
            let tx = tx.clone();
            pool.submit(job(move || {
                // Several monitor ticks of computing, never blocking.
                let start = Instant::now();
                while start.elapsed() < Duration::from_millis(20) {
                    std::hint::spin_loop();
                }
                tx.send(()).unwrap();
            }))
            .unwrap();
        }
        for _ in 0..JOBS {
            rx.recv_timeout(Duration::from_secs(30)).unwrap();
        }
        assert_eq!(pool.threads(), 1, "one thread took every computing job");
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap()
    }

    /// Wakes by sending its number down a channel.
    struct Signal(usize, Mutex<mpsc::Sender<usize>>);

    impl std::task::Wake for Signal {
        fn wake(self: Arc<Self>) {
            let _ = self.1.lock().unwrap().send(self.0);
        }
    }

    /// A burst's responses are held while more jobs are queued; a slow job after them must not
    /// keep them: here the job after them waits for them, so holding them would never end.
    #[test]
    fn results_held_behind_a_slow_job_are_handed_over() {
        use std::future::Future;
        use std::task::{Context, Waker};
        let pool = BlockingPool::new(config(1, 16, 1));
        let (gate_tx, gate_rx) = mpsc::channel::<()>();
        let (slow_tx, slow_rx) = mpsc::channel::<()>();
        let mut waits = [
            pool.submit(job(move || gate_rx.recv().unwrap())).unwrap(),
            pool.submit(job(|| {})).unwrap(),
        ];
        let slow = pool.submit(job(move || slow_rx.recv().unwrap())).unwrap();
        // Both tasks wait (as request tasks do) before their jobs finish.
        let (woken_tx, woken_rx) = mpsc::channel();
        let wakers: Vec<Waker> = (0..waits.len())
            .map(|n| Waker::from(Arc::new(Signal(n, Mutex::new(woken_tx.clone())))))
            .collect();
        for (wait, waker) in waits.iter_mut().zip(&wakers) {
            let poll = Pin::new(wait).poll(&mut Context::from_waker(waker));
            assert!(poll.is_pending());
        }
        // The three are queued behind the gate on the one thread: open it.
        gate_tx.send(()).unwrap();
        let mut ready = [false; 2];
        while !ready.iter().all(|&r| r) {
            let n = woken_rx
                .recv_timeout(Duration::from_secs(10))
                .expect("the held responses were handed over");
            let poll = Pin::new(&mut waits[n]).poll(&mut Context::from_waker(&wakers[n]));
            ready[n] |= poll.is_ready();
        }
        slow_tx.send(()).unwrap();
        assert!(runtime().block_on(slow).is_ok());
    }

    /// Many requests at once, as from an event loop: every one gets its own response.
    #[test]
    fn every_task_of_a_burst_gets_its_response() {
        const JOBS: u16 = 500;
        let pool = Arc::new(BlockingPool::new(config(4, 1024, 1)));
        runtime().block_on(async {
            let tasks: Vec<_> = (0..JOBS)
                .map(|n| {
                    let wait = pool
                        .submit(Box::new(move || {
                            let mut response = Response::new(crate::body::Body::empty());
                            *response.status_mut() =
                                http::StatusCode::from_u16(200 + n % 100).unwrap();
                            response
                        }))
                        .unwrap();
                    tokio::spawn(wait)
                })
                .collect();
            for (n, task) in (0..JOBS).zip(tasks) {
                let response = tokio::time::timeout(Duration::from_secs(10), task)
                    .await
                    .expect("woken")
                    .unwrap()
                    .unwrap();
                assert_eq!(response.status().as_u16(), 200 + n % 100);
            }
        });
    }

    /// A panicking job is an outcome like any other; the thread lives on.
    #[test]
    fn a_panic_is_the_outcome_of_its_job_only() {
        let pool = BlockingPool::new(config(1, 16, 1));
        let panicking = pool.submit(job(|| panic!("handler failed"))).unwrap();
        let fine = pool.submit(job(|| {})).unwrap();
        runtime().block_on(async {
            assert!(panicking.await.is_err());
            assert!(fine.await.is_ok());
        });
        assert_eq!(pool.threads(), 1);
    }
}
