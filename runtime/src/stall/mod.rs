//! The stall detector: a poll that blocks the event loop is reported, with its route.
//!
//! An `async fn` that calls something blocking (a `std::fs` read, a synchronous driver, a long
//! computation) holds its worker thread, and every request on that worker waits. The route
//! macro refuses the blocking calls it can see (`std::thread::sleep`, `std::fs::*`, ...); the
//! ones hidden in other functions are found here, at run time.
//!
//! Each poll of a route's future (its handler, extractors, dependencies and layers) and of a
//! streamed response body marks the polling thread's [`slot`](slot::Slot) with the route,
//! two stores and no clock read. A watchdog thread ([`watchdog`]) looks at every slot at a
//! quarter of the threshold: a poll it sees running past the threshold is counted, logged
//! with `tracing` when it ends ("`GET /items/{id}` blocked the event loop for at least 212
//! ms"), and logged while it runs if it runs past a second (an infinite loop, a deadlock),
//! then at 2, 4, 8 s... The counts are read with the [`StallStats`] extractor.

mod registry;
mod slot;
mod watchdog;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

pub(crate) use registry::{AppStalls, RouteId};
pub(crate) use slot::{begin, end, enter};

/// The default threshold: a poll that holds the event loop longer is reported (10 ms).
pub const DEFAULT_STALL_THRESHOLD: Duration = Duration::from_millis(10);

/// What the stall detector has seen of the app's polls: an extractor, for metrics.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::StallStats;
///
/// #[get("/metrics/stalls")]
/// async fn stalls(stats: StallStats) -> String {
///     format!("slow polls: {}", stats.slow_polls)
/// }
/// # oxapi::App::new().routes(routes![stalls]).check().unwrap();
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StallStats {
    /// Polls seen holding the event loop past the threshold since the app started, those
    /// still running included.
    pub slow_polls: u64,
    /// The longest such poll seen, at least: the watchdog sees a poll at its ticks.
    pub longest: Duration,
    /// The threshold, or `None` if the detector is off for this app.
    pub threshold: Option<Duration>,
}

pin_project_lite::pin_project! {
    /// A future whose polls the stall detector watches as route `route`'s: a WebSocket
    /// handler's task, a request's background tasks.
    #[derive(Debug)]
    pub(crate) struct Watched<F> {
        #[pin]
        future: F,
        route: RouteId,
    }
}

impl<F> Watched<F> {
    pub(crate) fn new(route: RouteId, future: F) -> Self {
        Self { future, route }
    }
}

impl<F: Future> Future for Watched<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _polling = enter(*this.route);
        this.future.poll(cx)
    }
}
