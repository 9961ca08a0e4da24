//! A service for tests of process-level behaviour: thread names, the command line, graceful
//! shutdown, and startup and shutdown hooks.

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

/// Sleeps `ms` milliseconds, then answers `done`.
#[get("/sleep/{ms}")]
async fn sleep(ms: u64) -> &'static str {
    // Tests wait for this line to know the request is in flight.
    eprintln!("fixture: sleeping {ms} ms");
    oxapi::tokio::time::sleep(Duration::from_millis(ms)).await;
    "done"
}

fn main() -> std::process::ExitCode {
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
        .routes(routes![thread, sync_thread, sleep])
        .run()
}
