//! The watchdog thread: looks at every thread's slot at a quarter of the shortest threshold,
//! and reports the polls it sees running too long.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

use super::RouteId;
use super::registry;
use super::slot::{self, PARKED, Slot, split};

/// When a poll still running is first reported; then at twice the time, and so on.
const FIRST_STUCK_REPORT: Duration = Duration::from_secs(1);
/// Ticks per threshold: a poll is counted between one and one and a half thresholds after it
/// began.
const TICKS_PER_THRESHOLD: u32 = 2;
/// The fastest tick, whatever the threshold.
const MIN_TICK: Duration = Duration::from_millis(1);
/// Ticks with every slot idle before the watchdog sleeps until a poll begins.
const IDLE_TICKS_BEFORE_PARKING: u32 = 8;

/// What the watchdog saw of one slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Seen {
    /// A poll crossed its threshold: counted once.
    Slow { route: RouteId, blocked: Duration },
    /// A poll that crossed its threshold still runs after `blocked`.
    Stuck { route: RouteId, blocked: Duration },
    /// A poll that crossed its threshold ended after at least `blocked`.
    Ended { route: RouteId, blocked: Duration },
}

/// The poll a slot is in, as the watchdog first saw it.
#[derive(Debug, Clone, Copy)]
struct Tracked {
    polls: u32,
    route: RouteId,
    first_seen: Instant,
    last_seen: Instant,
    slow: bool,
    next_report: Duration,
}

/// One slot's poll as the watchdog follows it from tick to tick: a pure state machine over
/// the slot's word and the time, so that it is tested without threads or a clock.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    current: Option<Tracked>,
}

impl Tracker {
    /// Looks at the slot's `word` at `now`; `threshold` tells a route's app's threshold.
    pub(super) fn observe(
        &mut self,
        word: u64,
        now: Instant,
        threshold: impl Fn(RouteId) -> Option<Duration>,
    ) -> [Option<Seen>; 2] {
        let (polls, route) = split(word);
        let mut seen = [None, None];
        match &mut self.current {
            Some(tracked) if route != 0 && tracked.polls == polls => {
                tracked.last_seen = now;
                tracked.route = route;
                let blocked = now.saturating_duration_since(tracked.first_seen);
                let Some(threshold) = threshold(route) else {
                    return seen;
                };
                if !tracked.slow && blocked >= threshold {
                    tracked.slow = true;
                    tracked.next_report = FIRST_STUCK_REPORT.max(threshold);
                    seen[0] = Some(Seen::Slow { route, blocked });
                }
                if tracked.slow && blocked >= tracked.next_report {
                    tracked.next_report = tracked.next_report.saturating_mul(2);
                    seen[1] = Some(Seen::Stuck { route, blocked });
                }
            }
            _ => {
                if let Some(ended) = self.current.take()
                    && ended.slow
                {
                    seen[0] = Some(Seen::Ended {
                        route: ended.route,
                        blocked: ended.last_seen.saturating_duration_since(ended.first_seen),
                    });
                }
                if route != 0 {
                    // Begun since the last tick, at most a tick ago.
                    self.current = Some(Tracked {
                        polls,
                        route,
                        first_seen: now,
                        last_seen: now,
                        slow: false,
                        next_report: Duration::MAX,
                    });
                }
            }
        }
        seen
    }
}

static WATCHDOG: OnceLock<Option<Thread>> = OnceLock::new();

/// Starts the watchdog, once per process.
pub(super) fn start() {
    WATCHDOG.get_or_init(|| {
        match std::thread::Builder::new()
            .name("oxapi-stall-watchdog".to_owned())
            .spawn(run)
        {
            Ok(handle) => Some(handle.thread().clone()),
            Err(error) => {
                tracing::error!(%error, "cannot start the stall detector's watchdog thread");
                None
            }
        }
    });
}

/// Wakes the watchdog from its idle sleep.
pub(super) fn wake() {
    if let Some(Some(thread)) = WATCHDOG.get() {
        thread.unpark();
    }
}

fn run() {
    // Every slot with what the watchdog has seen of it; this thread alone touches them.
    let mut watched: Vec<(Arc<Slot>, Tracker)> = Vec::new();
    let mut idle_ticks = 0;
    let mut threshold = None;
    let mut apps_seen = None;
    loop {
        // The shortest threshold is read again only when an app was built since.
        let apps = registry::apps_changed();
        if apps_seen != Some(apps) {
            apps_seen = Some(apps);
            threshold = registry::shortest_threshold();
        }
        let Some(threshold) = threshold else {
            // No app watches its polls: sleep until one is built and a poll wakes this.
            park(&watched);
            continue;
        };
        std::thread::sleep((threshold / TICKS_PER_THRESHOLD).max(MIN_TICK));
        watched.extend(
            slot::take_new()
                .into_iter()
                .map(|slot| (slot, Tracker::default())),
        );
        watched.retain(|(slot, _)| !slot.is_gone());
        let now = Instant::now();
        let mut quiet = true;
        for (slot, tracker) in &mut watched {
            let word = slot.word();
            quiet &= split(word).1 == 0 && tracker.current.is_none();
            let seen = tracker.observe(word, now, |route| {
                registry::lookup(route).map(|(_, app)| app.threshold())
            });
            for seen in seen.into_iter().flatten() {
                if matches!(seen, Seen::Slow { .. } | Seen::Stuck { .. }) {
                    slot.nudge_runtime();
                }
                report(seen, &slot.thread);
            }
        }
        idle_ticks = if quiet { idle_ticks + 1 } else { 0 };
        if idle_ticks >= IDLE_TICKS_BEFORE_PARKING {
            idle_ticks = 0;
            park(&watched);
        }
    }
}

/// Sleeps until a poll begins. A poll's thread stores its slot, then reads `PARKED`; this
/// stores `PARKED`, then reads every slot: one of the two sees the other.
fn park(watched: &[(Arc<Slot>, Tracker)]) {
    PARKED.store(true, Ordering::SeqCst);
    // A thread new since the last tick has not polled yet, or its poll wakes this.
    let busy = watched.iter().any(|(slot, _)| split(slot.word()).1 != 0);
    if !busy {
        // A bound, in case of a spurious miss: a minute of sleep costs nothing.
        std::thread::park_timeout(Duration::from_secs(60));
    }
    PARKED.store(false, Ordering::SeqCst);
}

/// Counts and logs what the watchdog saw on `thread`.
fn report(seen: Seen, thread: &str) {
    let (Seen::Slow { route, blocked }
    | Seen::Stuck { route, blocked }
    | Seen::Ended { route, blocked }) = seen;
    let Some((name, app)) = registry::lookup(route) else {
        return;
    };
    app.saw(blocked);
    let blocked_ms = blocked.as_millis();
    let threshold_ms = app.threshold().as_millis();
    match seen {
        Seen::Slow { .. } => app.count_slow(),
        Seen::Stuck { .. } => tracing::warn!(
            route = %name,
            thread,
            blocked_ms,
            "{name} has blocked the event loop of {thread} for {blocked_ms} ms and is still \
             running: an endless loop, a deadlock or a blocking call in an async handler; \
             every request on this thread waits"
        ),
        Seen::Ended { .. } => tracing::warn!(
            route = %name,
            thread,
            blocked_ms,
            threshold_ms,
            "{name} blocked the event loop of {thread} for at least {blocked_ms} ms (over \
             the {threshold_ms} ms threshold): every request on this thread waited; make the \
             handler a plain `fn` (it then runs on the blocking pool), or use the async API \
             of what blocks (tokio::fs, tokio::time::sleep, an async client)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTE: RouteId = 7;

    fn word(polls: u32, route: RouteId) -> u64 {
        (u64::from(polls) << 32) | u64::from(route)
    }

    fn at(start: Instant, ms: u64) -> Instant {
        start + Duration::from_millis(ms)
    }

    /// A slow poll of `ROUTE`: counted when seen past the threshold, then ended.
    fn slow_then_ended(slow_ms: u64, ended_ms: u64) -> [Seen; 2] {
        [
            Seen::Slow {
                route: ROUTE,
                blocked: Duration::from_millis(slow_ms),
            },
            Seen::Ended {
                route: ROUTE,
                blocked: Duration::from_millis(ended_ms),
            },
        ]
    }

    fn ten_ms(_: RouteId) -> Option<Duration> {
        Some(Duration::from_millis(10))
    }

    /// Feeds `ticks` (time in ms, word) and collects what was seen.
    fn watch(ticks: &[(u64, u64)]) -> Vec<Seen> {
        let start = Instant::now();
        let mut tracker = Tracker::default();
        ticks
            .iter()
            .flat_map(|&(ms, word)| tracker.observe(word, at(start, ms), ten_ms))
            .flatten()
            .collect()
    }

    #[test]
    fn short_polls_are_never_reported() {
        let ticks: Vec<_> = (0..100)
            .map(|tick| (tick * 2, word(tick as u32, ROUTE)))
            .collect();
        assert_eq!(watch(&ticks), []);
        assert_eq!(
            watch(&[(0, word(1, ROUTE)), (2, word(1, 0)), (4, word(2, 0))]),
            []
        );
    }

    #[test]
    fn a_slow_poll_is_counted_once_and_logged_when_it_ends() {
        let mut ticks: Vec<_> = (0..=80).step_by(2).map(|ms| (ms, word(3, ROUTE))).collect();
        ticks.push((82, word(3, 0)));
        assert_eq!(watch(&ticks), slow_then_ended(10, 80));
    }

    #[test]
    fn the_next_poll_beginning_ends_the_slow_one() {
        let seen = watch(&[(0, word(1, ROUTE)), (20, word(1, ROUTE)), (22, word(2, 9))]);
        assert_eq!(seen, slow_then_ended(20, 20));
    }

    #[test]
    fn a_poll_that_never_returns_is_reported_while_it_runs_at_doubling_intervals() {
        let ticks: Vec<_> = (0..=9_000)
            .step_by(500)
            .map(|ms| (ms, word(1, ROUTE)))
            .collect();
        let stuck: Vec<u64> = watch(&ticks)
            .into_iter()
            .filter_map(|seen| match seen {
                Seen::Stuck { blocked, .. } => Some(blocked.as_millis() as u64),
                _ => None,
            })
            .collect();
        assert_eq!(stuck, [1_000, 2_000, 4_000, 8_000]);
    }

    #[test]
    fn a_nested_poll_names_the_innermost_route() {
        let seen = watch(&[(0, word(1, 1)), (12, word(1, ROUTE)), (14, word(1, 0))]);
        assert_eq!(seen, slow_then_ended(12, 12));
    }

    #[test]
    fn a_route_of_an_app_gone_or_without_the_detector_is_not_reported() {
        let start = Instant::now();
        let mut tracker = Tracker::default();
        for ms in [0, 50, 100] {
            let seen = tracker.observe(word(1, ROUTE), at(start, ms), |_| None);
            assert_eq!(seen, [None, None]);
        }
    }
}
