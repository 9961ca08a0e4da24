//! Each thread's slot: which route's future the thread is polling, if any.
//!
//! A slot is one word, written by its thread only: the count of outermost polls begun (high
//! 32 bits) and the route being polled (low 32 bits, `0` between polls). A poll nested in
//! another (a route's future inside the app's layers) names its own route but keeps the
//! count, so the watchdog sees one poll, named after the innermost route running.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::RouteId;
use super::watchdog;

/// One thread's slot.
#[derive(Debug)]
pub(super) struct Slot {
    word: AtomicU64,
    /// The thread's name, for the log.
    pub(super) thread: Box<str>,
    /// Set when the thread exits: the watchdog lets go of the slot.
    gone: AtomicBool,
    /// The tokio runtime the thread works for, if any: see [`Slot::nudge_runtime`]. Let go
    /// of when the thread exits: the slot outlives it, and a runtime's handle holds its
    /// drivers' descriptors.
    runtime: Mutex<Option<tokio::runtime::Handle>>,
}

impl Slot {
    pub(super) fn word(&self) -> u64 {
        self.word.load(Ordering::SeqCst)
    }

    pub(super) fn is_gone(&self) -> bool {
        self.gone.load(Ordering::Relaxed)
    }

    /// Wakes an idle worker of the thread's runtime, for a poll that has blocked the thread.
    ///
    /// tokio polls the sockets and timers of a multi-threaded runtime from one parked worker
    /// at a time; the others park on a condition variable, and are woken only when a task is
    /// scheduled. A worker that left that role to run a task that then blocks leaves them
    /// unpolled: every other worker sleeps, no socket event wakes them, and the whole runtime
    /// waits for the blocked one (seen under load: one blocked background task kept the other
    /// worker from answering for as long as it blocked). An empty task sent from outside the
    /// runtime wakes an idle worker; with nothing to run, it parks again on the sockets and
    /// timers, which are free. Nothing happens for a runtime of one thread, which the block
    /// stops whatever is done.
    pub(super) fn nudge_runtime(&self) {
        let runtime = self.runtime.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(runtime) = &*runtime {
            drop(runtime.spawn(async {}));
        }
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

/// Slots registered since the watchdog last took them.
static NEW_SLOTS: Mutex<Vec<Arc<Slot>>> = Mutex::new(Vec::new());

/// Set while the watchdog sleeps for want of anything to watch: a poll that begins wakes it.
pub(super) static PARKED: AtomicBool = AtomicBool::new(false);

/// A thread's own handle on its slot, which marks it gone when the thread exits.
struct Handle(Arc<Slot>);

impl Drop for Handle {
    fn drop(&mut self) {
        self.0.gone.store(true, Ordering::Relaxed);
        let runtime = self
            .0
            .runtime
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(runtime);
    }
}

thread_local! {
    /// The thread's slot, once it has one: a constant-initialised cell without drop glue, so
    /// that reading it is one load, with no check that the key is alive.
    static CURRENT: Cell<Option<&'static Slot>> = const { Cell::new(None) };
    /// What marks the slot gone when the thread exits; touched once per thread.
    static HANDLE: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

/// This thread's slot, registered on its first poll.
#[inline]
fn current() -> Option<&'static Slot> {
    match CURRENT.get() {
        Some(slot) => Some(slot),
        None => register(),
    }
}

#[cold]
#[inline(never)]
fn register() -> Option<&'static Slot> {
    let slot = Arc::new(Slot {
        word: AtomicU64::new(0),
        thread: std::thread::current().name().unwrap_or("unnamed").into(),
        gone: AtomicBool::new(false),
        runtime: Mutex::new(tokio::runtime::Handle::try_current().ok()),
    });
    // Without a destructor on this thread (it is exiting), no slot: the poll is not watched.
    HANDLE
        .try_with(|handle| *handle.borrow_mut() = Some(Handle(Arc::clone(&slot))))
        .ok()?;
    NEW_SLOTS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Arc::clone(&slot));
    // One slot per thread, kept for the life of the process: the watchdog holds it too, and
    // a reference for the thread's polls costs no count.
    let slot: &'static Slot = Box::leak(Box::new(slot));
    CURRENT.set(Some(slot));
    Some(slot)
}

/// The slots registered since the last call, for the watchdog to keep.
pub(super) fn take_new() -> Vec<Arc<Slot>> {
    let mut new = NEW_SLOTS.lock().unwrap_or_else(PoisonError::into_inner);
    if new.is_empty() {
        Vec::new()
    } else {
        std::mem::take(&mut *new)
    }
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
    begin(route).map(|restore| Polling { restore })
}

/// [`enter`] without a guard, for a poll that cannot unwind (its panics are caught): the
/// caller passes the value to [`end`]. No drop glue, so the poll's result is not moved.
#[inline]
pub(crate) fn begin(route: RouteId) -> Option<u64> {
    if route == 0 {
        return None;
    }
    current().map(|slot| {
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
        join(polls, outer)
    })
}

/// Ends the poll [`begin`] began.
#[inline]
pub(crate) fn end(restore: Option<u64>) {
    if let Some(restore) = restore
        && let Some(slot) = CURRENT.get()
    {
        slot.word.store(restore, Ordering::Release);
    }
}

impl Drop for Polling {
    fn drop(&mut self) {
        end(Some(self.restore));
    }
}
