//! Each thread's slot: which route's future the thread is polling, if any.
//!
//! A slot is one word, written by its thread only: the count of outermost polls begun (high
//! 32 bits) and the route being polled (low 32 bits, `0` between polls). A poll nested in
//! another (a route's future inside the app's layers) names its own route but keeps the
//! count, so the watchdog sees one poll, named after the innermost route running.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use super::RouteId;
use super::watchdog::{self, Tracker};

/// One thread's slot, and what the watchdog has seen of it.
#[derive(Debug)]
pub(super) struct Slot {
    word: AtomicU64,
    /// The thread's name, for the log.
    pub(super) thread: Box<str>,
    /// Touched by the watchdog only.
    pub(super) tracker: Mutex<Tracker>,
}

impl Slot {
    pub(super) fn word(&self) -> u64 {
        self.word.load(Ordering::SeqCst)
    }
}

pub(super) fn split(word: u64) -> (u32, RouteId) {
    // Truncations by design: the halves of the word.
    #[allow(clippy::cast_possible_truncation)]
    ((word >> 32) as u32, word as u32)
}

fn join(polls: u32, route: RouteId) -> u64 {
    (u64::from(polls) << 32) | u64::from(route)
}

/// Every thread's slot that polled a watched future.
static SLOTS: Mutex<Vec<Weak<Slot>>> = Mutex::new(Vec::new());

/// Set while the watchdog sleeps for want of anything to watch: a poll that begins wakes it.
pub(super) static PARKED: AtomicBool = AtomicBool::new(false);

thread_local! {
    static CURRENT: Arc<Slot> = register();
}

fn register() -> Arc<Slot> {
    let slot = Arc::new(Slot {
        word: AtomicU64::new(0),
        thread: std::thread::current().name().unwrap_or("unnamed").into(),
        tracker: Mutex::new(Tracker::default()),
    });
    let mut slots = SLOTS.lock().unwrap_or_else(PoisonError::into_inner);
    slots.retain(|slot| slot.strong_count() > 0);
    slots.push(Arc::downgrade(&slot));
    slot
}

/// The slots alive.
pub(super) fn slots() -> Vec<Arc<Slot>> {
    let slots = SLOTS.lock().unwrap_or_else(PoisonError::into_inner);
    slots.iter().filter_map(Weak::upgrade).collect()
}

/// A poll under way: the slot goes back to what it said before when this is dropped.
#[derive(Debug)]
pub(crate) struct Polling {
    restore: u64,
}

/// Marks this thread as polling `route`'s future until the returned value is dropped;
/// nothing for route `0` (the detector is off).
#[inline]
pub(crate) fn enter(route: RouteId) -> Option<Polling> {
    if route == 0 {
        return None;
    }
    CURRENT
        .try_with(|slot| {
            let (polls, outer) = split(slot.word.load(Ordering::Relaxed));
            let polls = if outer == 0 {
                polls.wrapping_add(1)
            } else {
                polls
            };
            // Sequentially consistent with the watchdog's `PARKED`: either it sees this poll
            // before it sleeps, or this sees that it sleeps and wakes it.
            slot.word.store(join(polls, route), Ordering::SeqCst);
            if PARKED.load(Ordering::SeqCst) {
                watchdog::wake();
            }
            Polling {
                restore: join(polls, outer),
            }
        })
        .ok()
}

impl Drop for Polling {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|slot| slot.word.store(self.restore, Ordering::Release));
    }
}
