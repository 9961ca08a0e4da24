//! Where a job leaves its response, and how the request task waiting for it is woken.
//!
//! A wake from a pool thread is a system call, and on a busy core it costs two context
//! switches: the event loop wakes, preempts the (background) pool thread, handles one response
//! and sleeps again. So the pool does not wake each finished job's task. It holds the finished
//! jobs of a burst and, when the burst ends, wakes only one task, its *leader*, handing it the
//! wakers of the others: the leader wakes them from the event loop's own thread, where a wake
//! is a push onto a local queue. One cross-thread wake per burst instead of one per request.

use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::body::Response;

/// What a job produced: its response, or the panic it raised.
pub(crate) type Outcome = std::thread::Result<Response>;

/// One job's result slot, shared by the pool and the request task.
#[derive(Debug, Default)]
pub(crate) struct Completion {
    slot: Mutex<Slot>,
}

#[derive(Default)]
struct Slot {
    outcome: Option<Outcome>,
    /// The waiting task, registered when it polled before the outcome arrived.
    waker: Option<Waker>,
    /// Other finished jobs' tasks, for this task to wake once it runs.
    relay: Vec<Waker>,
    /// The request task is gone (the client left), or took its outcome.
    closed: bool,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("done", &self.outcome.is_some())
            .field("waiting", &self.waker.is_some())
            .field("relay", &self.relay.len())
            .field("closed", &self.closed)
            .finish()
    }
}

impl Completion {
    fn slot(&self) -> MutexGuard<'_, Slot> {
        // Nothing panics under this lock; recover regardless.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores the job's outcome without waking anyone: see [`wake_all`].
    pub(crate) fn finish(&self, outcome: Outcome) {
        let mut slot = self.slot();
        if !slot.closed {
            slot.outcome = Some(outcome);
        }
    }

    /// The future the request task awaits.
    pub(crate) fn wait(self: &Arc<Self>) -> Wait {
        Wait {
            completion: Arc::clone(self),
        }
    }
}

/// Wakes the tasks of `finished` jobs, whose outcomes are stored, with one cross-thread wake:
/// the first waiting task is woken and given the others' wakers. Leaves `finished` empty.
pub(crate) fn wake_all(finished: &mut Vec<Arc<Completion>>) {
    let mut drained = finished.drain(..);
    // The leader: the first task that waits. The others have not polled yet, or are gone;
    // they find their outcome when (if) they are polled.
    let Some((leader, waker)) = drained.by_ref().find_map(|completion| {
        let waker = completion.slot().waker.take();
        waker.map(|waker| (completion, waker))
    }) else {
        return;
    };
    let relay: Vec<Waker> = drained
        .filter_map(|completion| completion.slot().waker.take())
        .collect();
    if !relay.is_empty() {
        let mut slot = leader.slot();
        if slot.closed {
            // The leader left meanwhile: wake the others from here.
            drop(slot);
            relay.into_iter().for_each(Waker::wake);
        } else {
            slot.relay = relay;
        }
    }
    waker.wake();
}

/// Waits for a job's outcome; then wakes the tasks the pool handed over to it.
#[derive(Debug)]
pub(crate) struct Wait {
    completion: Arc<Completion>,
}

impl Future for Wait {
    type Output = Outcome;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        let mut slot = self.completion.slot();
        if let Some(outcome) = slot.outcome.take() {
            slot.closed = true;
            let relay = mem::take(&mut slot.relay);
            drop(slot);
            relay.into_iter().for_each(Waker::wake);
            return Poll::Ready(outcome);
        }
        match &slot.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => slot.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl Drop for Wait {
    /// A task dropped while it waits (its client left) still passes on what it was handed,
    /// or those tasks would never wake.
    fn drop(&mut self) {
        let mut slot = self.completion.slot();
        slot.closed = true;
        slot.waker = None;
        slot.outcome = None;
        let relay = mem::take(&mut slot.relay);
        drop(slot);
        relay.into_iter().for_each(Waker::wake);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    /// Counts its wakes.
    #[derive(Default)]
    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    impl CountingWaker {
        fn count(&self) -> usize {
            self.0.load(Ordering::SeqCst)
        }
    }

    fn ok() -> Outcome {
        Ok(Response::new(crate::body::Body::empty()))
    }

    /// A waiting task, as the pool sees it: its completion, its future and its waker.
    fn waiting() -> (Arc<Completion>, Pin<Box<Wait>>, Arc<CountingWaker>) {
        let completion = Arc::new(Completion::default());
        let mut wait = Box::pin(completion.wait());
        let counter = Arc::new(CountingWaker::default());
        let waker = Waker::from(Arc::clone(&counter));
        assert!(
            wait.as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        (completion, wait, counter)
    }

    fn poll(wait: &mut Pin<Box<Wait>>) -> Poll<Outcome> {
        wait.as_mut().poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn only_the_leader_is_woken_and_it_wakes_the_rest() {
        let tasks: Vec<_> = (0..4).map(|_| waiting()).collect();
        for (completion, _, _) in &tasks {
            completion.finish(ok());
        }
        wake_all(&mut tasks.iter().map(|(c, _, _)| Arc::clone(c)).collect());
        let counts = |tasks: &[(_, _, Arc<CountingWaker>)]| {
            tasks.iter().map(|(_, _, c)| c.count()).collect::<Vec<_>>()
        };
        assert_eq!(counts(&tasks), [1, 0, 0, 0]);
        let mut tasks = tasks;
        assert!(poll(&mut tasks[0].1).is_ready());
        assert_eq!(counts(&tasks), [1, 1, 1, 1]);
        for (_, wait, _) in &mut tasks[1..] {
            assert!(poll(wait).is_ready());
        }
    }

    #[test]
    fn a_leader_that_left_still_passes_the_wakes_on() {
        let mut tasks: Vec<_> = (0..3).map(|_| waiting()).collect();
        for (completion, _, _) in &tasks {
            completion.finish(ok());
        }
        wake_all(&mut tasks.iter().map(|(c, _, _)| Arc::clone(c)).collect());
        let (_, leader, _) = tasks.remove(0);
        drop(leader);
        assert!(tasks.iter().all(|(_, _, counter)| counter.count() == 1));
    }

    #[test]
    fn a_gone_task_is_never_chosen_to_lead() {
        let mut tasks: Vec<_> = (0..3).map(|_| waiting()).collect();
        for (completion, _, _) in &tasks {
            completion.finish(ok());
        }
        let (gone, wait, _) = tasks.remove(0);
        drop(wait);
        let mut finished = vec![gone];
        finished.extend(tasks.iter().map(|(c, _, _)| Arc::clone(c)));
        wake_all(&mut finished);
        assert_eq!(tasks[0].2.count(), 1, "the first task still waiting leads");
        assert_eq!(tasks[1].2.count(), 0);
        assert!(poll(&mut tasks[0].1).is_ready());
        assert_eq!(tasks[1].2.count(), 1);
    }

    #[test]
    fn an_outcome_stored_before_the_first_poll_is_ready_at_once() {
        let completion = Arc::new(Completion::default());
        completion.finish(ok());
        wake_all(&mut vec![Arc::clone(&completion)]);
        let mut wait = Box::pin(completion.wait());
        assert!(poll(&mut wait).is_ready());
    }
}
