//! The thread that keeps HTTP/1 connections' head and idle deadlines, for the whole process.
//!
//! One thread looking at every connection at a coarse tick costs the request path nothing:
//! a timer per connection would be registered in tokio's wheel, and a registered timer makes
//! every park of a worker a timed park (measured: ~450 instructions per request on `/hello`).
//! The thread sleeps while no connection has deadlines.

use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use crate::head_watch::{HeadDeadline, HeadWatch};
use crate::limits::ServerLimits;

/// The connections watched, and the tick the thread sleeps for.
#[derive(Debug, Default)]
struct Watched {
    connections: Vec<(Arc<HeadWatch>, HeadDeadline)>,
    /// The shortest tick among them when the thread last looked; a connection that needs a
    /// shorter one wakes the thread.
    tick: Option<Duration>,
}

#[derive(Debug, Default)]
struct Deadlines {
    watched: Mutex<Watched>,
    changed: Condvar,
}

static DEADLINES: OnceLock<Deadlines> = OnceLock::new();

/// Watches a new HTTP/1 connection under `limits`: `None` if they set no deadline.
pub(crate) fn watch(limits: &ServerLimits) -> Option<Arc<HeadWatch>> {
    let deadline = HeadDeadline::new(limits)?;
    let deadlines = DEADLINES.get_or_init(|| {
        // Without the thread nothing would close slow connections; a process that cannot
        // start one more thread has worse troubles, reported here once.
        if let Err(error) = std::thread::Builder::new()
            .name("oxapi-deadlines".to_owned())
            .spawn(run)
        {
            tracing::error!(%error, "cannot start the thread keeping connection deadlines");
        }
        Deadlines::default()
    });
    let watch = Arc::new(HeadWatch::default());
    let tick = deadline.tick();
    let mut watched = deadlines
        .watched
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    watched.connections.push((Arc::clone(&watch), deadline));
    if watched.tick.is_none_or(|current| tick < current) {
        watched.tick = Some(tick);
        deadlines.changed.notify_one();
    }
    Some(watch)
}

/// The thread: look at every connection, close the expired, sleep a tick.
fn run() {
    // The static is set by the time the thread runs: `get_or_init` returns before the
    // thread can take the lock it waits on.
    let deadlines = DEADLINES.wait();
    let mut watched = deadlines
        .watched
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    loop {
        let now = Instant::now();
        let mut tick: Option<Duration> = None;
        watched.connections.retain_mut(|(watch, deadline)| {
            if watch.is_closed() {
                return false;
            }
            if deadline.check(now, watch).is_some() {
                watch.expire();
                return false;
            }
            tick = Some(tick.map_or(deadline.tick(), |tick| tick.min(deadline.tick())));
            true
        });
        watched.tick = tick;
        watched = match tick {
            Some(tick) => {
                deadlines
                    .changed
                    .wait_timeout(watched, tick)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
            None => deadlines
                .changed
                .wait(watched)
                .unwrap_or_else(PoisonError::into_inner),
        };
    }
}
