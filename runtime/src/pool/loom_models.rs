//! The pool's wake protocol — submitters and threads around one lock and one condition
//! variable — explored under every interleaving loom can produce.
//!
//! Run with `RUSTFLAGS="--cfg oxapi_loom" cargo test -p oxapi --lib --release pool::loom_models`
//! (`scripts/test.sh` does). A lost notification shows up as a deadlock (a job never runs, so
//! the model waits for ever), a double run as a failed assertion.
//!
//! Timeouts are not modelled (loom's timed wait never times out); the state machine's own
//! tests cover a thread whose keep-alive ends as it is notified.

use super::{PoolConfig, Run, Threads};
use crate::BlockingPriority;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Counts finished jobs, so the model can wait for them without timing.
#[derive(Default)]
struct Done {
    count: Mutex<usize>,
    changed: Condvar,
}

impl Done {
    fn wait_for(&self, jobs: usize) {
        let mut count = self.count.lock().unwrap();
        while *count < jobs {
            count = self.changed.wait(count).unwrap();
        }
    }
}

/// A job that marks itself run (failing if it already was) and reports to [`Done`].
struct Mark {
    ran: Arc<AtomicBool>,
    done: Arc<Done>,
}

impl Run for Mark {
    fn run(self) {
        assert!(!self.ran.swap(true, Ordering::SeqCst), "a job ran twice");
        *self.done.count.lock().unwrap() += 1;
        self.done.changed.notify_all();
    }
}

/// Explores `model` with at most three preemptions per interleaving (loom's advice: most bugs
/// need two or three, and the full space of four threads takes hours).
fn explore(model: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(model);
}

fn pool(max_threads: usize) -> Threads<Mark> {
    Threads::new(PoolConfig {
        max_threads,
        queue_capacity: 4,
        priority: BlockingPriority::Normal,
        keep_alive: Duration::from_secs(60),
    })
}

fn submit(pool: &Threads<Mark>, done: &Arc<Done>) -> Arc<AtomicBool> {
    let ran = Arc::new(AtomicBool::new(false));
    let job = Mark {
        ran: Arc::clone(&ran),
        done: Arc::clone(done),
    };
    assert!(pool.submit(job).is_ok());
    ran
}

/// Two jobs from two submitters at once, two threads at most: each runs exactly once, whatever
/// the order of submits, thread starts, job ends and waits.
#[test]
fn concurrent_submits_each_run_once() {
    explore(|| {
        let pool = Arc::new(pool(2));
        let done = Arc::new(Done::default());
        let other = {
            let (pool, done) = (Arc::clone(&pool), Arc::clone(&done));
            loom::thread::spawn(move || submit(&pool, &done))
        };
        let mine = submit(&pool, &done);
        let theirs = other.join().unwrap();
        done.wait_for(2);
        assert!(mine.load(Ordering::SeqCst) && theirs.load(Ordering::SeqCst));
    });
}

/// A job submitted while the only thread goes idle: either that thread takes it before it
/// waits, or the notification reaches it once it waits — never neither.
#[test]
fn a_job_submitted_as_the_thread_goes_idle_is_not_lost() {
    explore(|| {
        let pool = Arc::new(pool(1));
        let done = Arc::new(Done::default());
        submit(&pool, &done);
        let other = {
            let (pool, done) = (Arc::clone(&pool), Arc::clone(&done));
            loom::thread::spawn(move || submit(&pool, &done))
        };
        other.join().unwrap();
        done.wait_for(2);
    });
}

/// Dropping the pool with a job queued: the job still runs, and the threads leave (loom
/// fails a model whose threads never end).
#[test]
fn a_dropped_pool_runs_its_queue_and_its_threads_leave() {
    explore(|| {
        let pool = pool(1);
        let done = Arc::new(Done::default());
        submit(&pool, &done);
        submit(&pool, &done);
        drop(pool);
        done.wait_for(2);
    });
}
