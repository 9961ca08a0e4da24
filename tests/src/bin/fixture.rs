//! A service for tests of process-level behaviour: thread names, the command line, graceful
//! shutdown, startup and shutdown hooks, the blocking pool's priority against a CPU hog, and
//! worker processes.

use std::sync::Mutex;
use std::time::Duration;

use oxapi::prelude::*;

/// The name of the thread running this async handler: an event-loop thread.
#[get("/thread")]
async fn thread() -> String {
    std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_owned()
}

/// The name of the thread running this plain-fn handler: a blocking-pool thread.
#[get("/sync/thread")]
fn sync_thread() -> String {
    std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_owned()
}

/// The id of the process serving: with `--workers`, which worker answered.
#[get("/pid")]
async fn pid() -> String {
    std::process::id().to_string()
}

/// Ends the process at once with exit status `code`: a worker failing while it serves.
#[post("/exit/{code}")]
async fn exit(code: i32) -> &'static str {
    std::process::exit(code)
}

/// Sleeps `ms` milliseconds, then answers `done`.
#[get("/sleep/{ms}")]
async fn sleep(ms: u64) -> &'static str {
    // Tests wait for this line to know the request is in flight. Written whole, in one call:
    // worker processes share stderr, and `eprintln!` writes its pieces one by one.
    let line = format!("fixture: sleeping {ms} ms\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    oxapi::tokio::time::sleep(Duration::from_millis(ms)).await;
    "done"
}

/// Sleeps `ms` milliseconds without a word, then answers `done`: a request that is in flight
/// for a while, for load.
#[get("/pause/{ms}")]
async fn pause(ms: u64) -> &'static str {
    oxapi::tokio::time::sleep(Duration::from_millis(ms)).await;
    "done"
}

/// Answers at once and leaves a background task that sleeps `ms` milliseconds, then says so
/// on stderr.
#[post("/background/{ms}")]
async fn background(ms: u64, tasks: oxapi::BackgroundTasks) -> &'static str {
    tasks.spawn(async move {
        oxapi::tokio::time::sleep(Duration::from_millis(ms)).await;
        eprintln!("fixture: background task of {ms} ms done");
    });
    "queued"
}

/// Ready for traffic? 200 while the app is `Ready`, 503 once shutdown has begun: a load
/// balancer's readiness probe.
#[get("/ready")]
async fn ready(lifespan: State<oxapi::LifespanHandle>) -> StatusCode {
    if lifespan.state() == oxapi::LifespanState::Ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

/// Logs from inside the handler, and answers with the request's id.
#[get("/traced")]
async fn traced(id: oxapi::RequestId) -> String {
    tracing::info!(answer = 42, "inside the handler");
    id.to_string()
}

/// A lock both a plain fn and an async fn take.
#[derive(Debug, Default)]
struct Shared(Mutex<u64>);

impl Shared {
    fn count(&self) -> std::sync::MutexGuard<'_, u64> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The CPU time the calling thread has used, in nanoseconds (Linux: its schedstat).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|stat| stat.split(' ').next()?.parse().ok())
        .unwrap_or(u64::MAX)
}

/// Holds the shared lock while it computes for `ms` milliseconds of its own CPU time.
#[get("/sync/hold/{ms}")]
fn hold(ms: u64, shared: State<Shared>) -> String {
    let mut count = shared.count();
    let start = thread_cpu_ns();
    let mut x = 1_u64;
    while thread_cpu_ns().saturating_sub(start) < ms * 1_000_000 {
        for _ in 0..10_000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
    *count += 1;
    count.to_string()
}

/// Takes the shared lock on the event loop: while a plain fn holds it, the loop waits.
#[get("/lock")]
async fn lock(shared: State<Shared>) -> String {
    shared.count().to_string()
}

/// Released by `/stall/release`: what `/stall/wait` blocks its thread on.
static STALL: (Mutex<bool>, std::sync::Condvar) = (Mutex::new(false), std::sync::Condvar::new());

/// Blocks the calling thread until `/stall/release`: a blocking call hidden in a function,
/// which the route macro cannot see and the stall detector must.
fn wait_for_release() {
    let (released, condvar) = &STALL;
    let mut released = released
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    while !*released {
        released = condvar
            .wait(released)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
    }
}

/// An async handler that blocks its event-loop thread until released.
#[get("/stall/{label}")]
async fn stall_wait(label: String) -> String {
    eprintln!("fixture: stalling");
    wait_for_release();
    label
}

/// Releases `/stall/{label}`.
#[post("/stall/release")]
async fn stall_release() -> &'static str {
    let (released, condvar) = &STALL;
    *released
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = true;
    condvar.notify_all();
    "released"
}

/// What the stall detector counted.
#[get("/stalls")]
async fn stalls(stats: oxapi::StallStats) -> String {
    format!("{} {}", stats.slow_polls, stats.longest.as_millis())
}

fn main() -> std::process::ExitCode {
    if std::env::var_os("FIXTURE_CPU_HOG").is_some() {
        // A normal-priority thread that computes for ever, beside the event loop.
        std::thread::spawn(|| {
            let mut x = 1_u64;
            loop {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        });
    }
    let grace = std::env::var("FIXTURE_GRACE_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_secs(30), Duration::from_millis);
    // Set, the startup hook fails with this message.
    let startup_failure = std::env::var("FIXTURE_STARTUP_FAIL").ok();
    App::new()
        .title("Fixture")
        .shutdown_grace(grace)
        .on_startup(move || async move { startup_failure.map_or(Ok(()), Err) })
        // Tests wait for this line to know the shutdown hooks ran.
        .on_shutdown(|| async { eprintln!("fixture: shutdown hook ran") })
        .state(Shared::default())
        .blocking_priority(
            match std::env::var("FIXTURE_BLOCKING_PRIORITY").as_deref() {
                Ok("background") => oxapi::BlockingPriority::Background,
                _ => oxapi::BlockingPriority::default(),
            },
        )
        .routes(routes![
            thread,
            sync_thread,
            pid,
            exit,
            sleep,
            pause,
            background,
            ready,
            hold,
            lock,
            stall_wait,
            stall_release,
            stalls,
            traced
        ])
        .run()
}
