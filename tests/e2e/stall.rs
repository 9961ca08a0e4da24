//! The stall detector in-process: a blocking call hidden in a helper, on the event loop, in a
//! background task or a WebSocket handler, is counted while it blocks.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use oxapi::prelude::*;
use oxapi::{StallStats, State};
use oxapi_tests::{Client, Server, Version};

const HANG_GUARD: Duration = Duration::from_secs(20);

/// What the blocked task waits on until the test lets it go.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    /// Blocks the calling thread: hidden from the route macro in a helper.
    fn block(&self) {
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.opened.wait(open).unwrap();
        }
    }

    fn release(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }
}

#[post("/later")]
async fn later(tasks: BackgroundTasks, gate: State<Arc<Gate>>) -> &'static str {
    let gate = Arc::clone(&gate);
    tasks.spawn(async move { gate.block() });
    "queued"
}

#[get("/stalls")]
async fn stalls(stats: StallStats) -> String {
    stats.slow_polls.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_background_task_blocking_the_event_loop_is_counted() {
    let gate = Arc::new(Gate::default());
    let app = App::new()
        .routes(routes![later, stalls])
        .state(Arc::clone(&gate));
    let server = Server::start(app).await;
    let client = Client::new(&server, Version::Http1);
    assert_eq!(client.post_json("/later", "").await.text(), "queued");
    // The task blocks one worker; the other answers, until the watchdog has counted it.
    tokio::time::timeout(HANG_GUARD, async {
        while client.get("/stalls").await.text() != "1" {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the blocked background task is counted");
    gate.release();
    server.stop().await;
}

#[get("/threshold")]
async fn threshold(stats: StallStats) -> String {
    format!("{:?}", stats.threshold)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_detector_is_on_by_default_and_can_be_turned_off() {
    let on = App::new().routes(routes![threshold]).test_client();
    assert_eq!(on.get("/threshold").send().await.text(), "Some(10ms)");
    let off = App::new()
        .routes(routes![threshold])
        .stall_threshold(None)
        .test_client();
    assert_eq!(off.get("/threshold").send().await.text(), "None");
}
