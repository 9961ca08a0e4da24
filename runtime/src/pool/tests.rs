//! The pool's threads doing real work: names, limits, refusals, panics, keep-alive and the
//! scheduling policies. The decisions themselves are tested in `state.rs`, without threads.

use super::*;
use std::sync::mpsc;

/// A job that runs `f` and answers with an empty response.
fn job(f: impl FnOnce() + Send + 'static) -> Job {
    Box::new(move || {
        f();
        Response::new(crate::body::Body::empty())
    })
}

fn config(max_threads: usize, queue_capacity: usize) -> PoolConfig {
    PoolConfig {
        max_threads,
        queue_capacity,
        priority: BlockingPriority::Normal,
        keep_alive: Duration::from_secs(60),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

#[test]
fn threads_are_named_and_bounded() {
    let pool = BlockingPool::new(config(2, 16));
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
    assert!(pool.stats().threads <= 2);
}

/// Jobs that block all run at once, however few cores: each waits for the last to start,
/// which only works if every one of them got a thread without waiting for another to end.
#[test]
fn blocked_jobs_run_side_by_side() {
    const JOBS: usize = 8;
    let pool = BlockingPool::new(config(JOBS, 64));
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
        rx.recv().unwrap();
    }
    assert_eq!(pool.stats().threads, JOBS);
}

#[test]
fn a_full_queue_refuses_work_and_counts_it() {
    let pool = BlockingPool::new(config(1, 1));
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
    let stats = pool.stats();
    assert_eq!((stats.busy, stats.queued, stats.refused), (1, 1, 1));
    release_tx.send(()).unwrap();
}

#[test]
fn idle_threads_exit_and_new_work_starts_new_ones() {
    let pool = BlockingPool::new(PoolConfig {
        keep_alive: Duration::from_millis(1),
        ..config(4, 16)
    });
    let run = |pool: &BlockingPool| {
        let (tx, rx) = mpsc::channel();
        pool.submit(job(move || tx.send(()).unwrap())).unwrap();
        rx.recv().unwrap();
    };
    run(&pool);
    // Not a timing assertion: wait, without bound, for the idle thread to leave.
    while pool.stats().threads > 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
    // With no thread left, the job still runs: submitting started a new one.
    run(&pool);
}

/// Many requests at once, as from an event loop: every one gets its own response.
#[test]
fn every_task_of_a_burst_gets_its_own_response() {
    const JOBS: u16 = 500;
    let pool = Arc::new(BlockingPool::new(config(4, 1024)));
    runtime().block_on(async {
        let tasks: Vec<_> = (0..JOBS)
            .map(|n| {
                let wait = pool
                    .submit(Box::new(move || {
                        let mut response = Response::new(crate::body::Body::empty());
                        *response.status_mut() = http::StatusCode::from_u16(200 + n % 100).unwrap();
                        response
                    }))
                    .unwrap();
                tokio::spawn(wait)
            })
            .collect();
        for (n, task) in (0..JOBS).zip(tasks) {
            let response = task.await.unwrap().unwrap().unwrap();
            assert_eq!(response.status().as_u16(), 200 + n % 100);
        }
    });
}

/// A panicking job is an outcome like any other; the thread lives on.
#[test]
fn a_panic_is_the_outcome_of_its_job_only() {
    let pool = BlockingPool::new(config(1, 16));
    let panicking = pool.submit(job(|| panic!("handler failed"))).unwrap();
    let fine = pool.submit(job(|| {})).unwrap();
    runtime().block_on(async {
        assert!(panicking.await.unwrap().is_err());
        assert!(fine.await.unwrap().is_ok());
    });
    assert_eq!(pool.stats().threads, 1);
}

/// A request task that left before its job ran loses nothing but its own response.
#[test]
fn a_job_whose_task_left_still_runs_and_the_next_is_answered() {
    let pool = BlockingPool::new(config(1, 16));
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let (ran_tx, ran_rx) = mpsc::channel();
    let first = pool.submit(job(move || gate_rx.recv().unwrap())).unwrap();
    let abandoned = pool.submit(job(move || ran_tx.send(()).unwrap())).unwrap();
    drop(abandoned);
    let last = pool.submit(job(|| {})).unwrap();
    gate_tx.send(()).unwrap();
    runtime().block_on(async {
        assert!(first.await.unwrap().is_ok());
        assert!(last.await.unwrap().is_ok());
    });
    ran_rx.recv().unwrap();
}

/// Dropping the pool lets queued jobs finish, then its threads leave.
#[test]
fn a_dropped_pool_finishes_its_queue() {
    let pool = BlockingPool::new(config(1, 16));
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let first = pool.submit(job(move || gate_rx.recv().unwrap())).unwrap();
    let queued = pool.submit(job(|| {})).unwrap();
    drop(pool);
    gate_tx.send(()).unwrap();
    runtime().block_on(async {
        assert!(first.await.unwrap().is_ok());
        assert!(queued.await.unwrap().is_ok());
    });
}

/// The calling thread's time slice in nanoseconds, where the kernel reports one (`se.slice` in
/// its `/proc` sched file, on kernels with EEVDF).
#[cfg(target_os = "linux")]
fn slice_ns() -> Option<u64> {
    let sched = std::fs::read_to_string("/proc/thread-self/sched").ok()?;
    let line = sched.lines().find(|line| line.starts_with("se.slice"))?;
    line.rsplit(' ').next()?.trim().parse().ok()
}

/// Whether the kernel takes a time slice for a normal thread (`sched_runtime`, Linux 6.12).
#[cfg(target_os = "linux")]
fn kernel_has_custom_slices() -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut numbers = release
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|part| part.parse::<u32>().ok());
    (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0)) >= (6, 12)
}

/// The scheduling policy each thread runs under, as the kernel reports it.
#[cfg(target_os = "linux")]
fn policy_in_pool(priority: BlockingPriority) -> (thread_priority::ThreadSchedulePolicy, i32) {
    let pool = BlockingPool::new(PoolConfig {
        priority,
        ..config(1, 1)
    });
    let (tx, rx) = mpsc::channel();
    pool.submit(job(move || {
        let policy = thread_priority::thread_schedule_policy().unwrap();
        let nice = thread_nice();
        if priority == BlockingPriority::Low && kernel_has_custom_slices() {
            assert_eq!(
                slice_ns(),
                Some(super::priority::LOW_SLICE_NS),
                "the short slice is set"
            );
        }
        tx.send((policy, nice)).unwrap();
    }))
    .unwrap();
    rx.recv().unwrap()
}

/// The calling thread's nice level: field 19 of its /proc stat line.
#[cfg(target_os = "linux")]
fn thread_nice() -> i32 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    let after_comm = &stat[stat.rfind(')').unwrap() + 2..];
    after_comm.split(' ').nth(16).unwrap().parse().unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn each_priority_sets_its_policy() {
    use thread_priority::{NormalThreadSchedulePolicy, ThreadSchedulePolicy};
    assert_eq!(
        policy_in_pool(BlockingPriority::Low),
        (
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other),
            LOW_NICE
        )
    );
    assert_eq!(
        policy_in_pool(BlockingPriority::Background).0,
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle)
    );
    // `Normal` keeps what the pool's threads inherit: the nice level the tests run at.
    assert_eq!(
        policy_in_pool(BlockingPriority::Normal),
        (
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other),
            thread_nice()
        )
    );
}

/// A small deterministic generator, so a failing run can be replayed from its seed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// 100,000 calls of mixed kinds — instant, computing, blocking on a contended lock, yielding
/// the thread, panicking — from many request tasks at once, a tenth of them cancelled at a
/// random point (before submitting, while queued or running, after the response). Every task
/// that waited to the end got exactly its own call's outcome; every call that was queued ran
/// once; the pool ends with nothing busy or queued.
#[test]
fn a_hundred_thousand_mixed_calls_each_get_their_own_outcome() {
    const CALLS: u64 = 100_000;
    const SEED: u64 = 0x005E_ED0F_0A7A_u64;
    let pool = Arc::new(BlockingPool::new(config(16, 1024)));
    let lock = Arc::new(Mutex::new(0_u64));
    let ran = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut rng = XorShift(SEED);
    let outcomes = runtime().block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        let mut outcomes = Vec::new();
        for n in 0..CALLS {
            // Kinds 0 to 3 alike; a panic (4) one call in a thousand, since each prints.
            let kind = if rng.next().is_multiple_of(1000) {
                4
            } else {
                rng.next() % 4
            };
            let cancel = rng.next().is_multiple_of(10);
            let (pool, lock, ran) = (Arc::clone(&pool), Arc::clone(&lock), Arc::clone(&ran));
            let call: Job = Box::new(move || {
                ran.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                match kind {
                    0 => {}
                    1 => {
                        let mut x = n | 1;
                        for _ in 0..200 {
                            x = std::hint::black_box(x.wrapping_mul(6364136223846793005));
                        }
                    }
                    2 => *lock.lock().unwrap() += 1,
                    3 => std::thread::yield_now(),
                    _ => panic!("call {n} panics"),
                }
                let mut response = Response::new(crate::body::Body::empty());
                response
                    .headers_mut()
                    .insert("x-call", http::HeaderValue::from(n));
                response
            });
            tasks.spawn(async move {
                let Ok(wait) = pool.submit(call) else {
                    return (n, kind, "refused");
                };
                if cancel {
                    // Leaves at once, or after one turn of the event loop: while the call is
                    // queued, running or done.
                    if n % 2 == 0 {
                        tokio::task::yield_now().await;
                    }
                    drop(wait);
                    return (n, kind, "cancelled");
                }
                match wait.await {
                    Ok(Ok(response)) => {
                        let header = response.headers()["x-call"].to_str().unwrap();
                        assert_eq!(
                            header.parse::<u64>().unwrap(),
                            n,
                            "call {n} got another's response"
                        );
                        assert_ne!(kind, 4, "a panicking call answered");
                        (n, kind, "answered")
                    }
                    Ok(Err(_panic)) => {
                        assert_eq!(kind, 4, "call {n} panicked");
                        (n, kind, "panicked")
                    }
                    Err(_) => panic!("call {n} was dropped unrun"),
                }
            });
            if tasks.len() >= 1_100 {
                // Keep many in flight, not all: the queue refuses past 1,024.
                while tasks.len() > 500 {
                    outcomes.push(tasks.join_next().await.unwrap().unwrap());
                }
            }
        }
        while let Some(outcome) = tasks.join_next().await {
            outcomes.push(outcome.unwrap());
        }
        outcomes
    });
    let count = |what: &str| outcomes.iter().filter(|(_, _, o)| *o == what).count() as u64;
    let refused = count("refused");
    assert_eq!(outcomes.len() as u64, CALLS);
    let counts = ["answered", "panicked", "cancelled", "refused"].map(|what| (what, count(what)));
    assert!(
        count("answered") > CALLS / 2,
        "most calls were answered: {counts:?}"
    );
    assert!(count("panicked") > 0 && count("cancelled") > 0);
    // Every call that was queued ran exactly once, cancelled or not.
    while pool.stats().busy + pool.stats().queued > 0 {
        std::thread::yield_now();
    }
    assert_eq!(
        ran.load(std::sync::atomic::Ordering::Relaxed),
        CALLS - refused
    );
    assert_eq!(pool.stats().refused, refused);
    assert!(pool.stats().threads <= 16);
}
