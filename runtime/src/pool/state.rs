//! Every decision the blocking pool takes, as a pure state machine: no threads, no clocks.
//!
//! The pool's threads and its submitters hold one lock while they call these methods, and carry
//! out what they return (wake a thread, start one) after releasing it. So the rules can be
//! tested transition by transition, and the protocol around them (a condition variable, thread
//! starts) is small enough to model whole with loom (see `pool::loom_models`).
//!
//! The rules:
//! - A queued job always has a thread *coming* to it — woken, starting, or busy and bound to
//!   come back to the queue — so no job waits for a timer or a monitor.
//! - Only one thread is woken or started at a time: the one coming takes a job and, if more
//!   are queued, brings the next. A burst of queued jobs costs its submitter one wake, and the
//!   pool grows by one thread per job that is still waiting when a thread is free to look.
//! - The queue is bounded: past its capacity a job is refused, never queued.

use std::collections::VecDeque;

/// The pool's size limits, as the state machine needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// The most threads the pool runs at once.
    pub(crate) max_threads: usize,
    /// The most jobs that wait for a thread; past it, a job is refused.
    pub(crate) queue_capacity: usize,
}

/// What the caller must do once it has released the lock, so a queued job gets a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub(crate) enum Provide {
    /// A thread is already coming, or none may be added: the first to be free takes the job.
    Nothing,
    /// Notify one idle thread.
    Wake,
    /// Start a thread, which calls [`State::started`] first.
    Spawn,
}

/// What a thread that holds no job does next.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub(crate) enum Next<J> {
    /// Run this job, after carrying out `Provide` for the jobs still queued; then call
    /// [`State::finished`].
    Run(J, Provide),
    /// Wait to be notified (or for the keep-alive to pass); then call [`State::woke`].
    Wait,
    /// Leave: the thread is no longer counted.
    Exit,
}

/// The queue and the threads' counts.
#[derive(Debug)]
#[cfg_attr(test, derive(Clone))]
pub(crate) struct State<J> {
    limits: Limits,
    queue: VecDeque<J>,
    /// Threads started and not yet exited.
    threads: usize,
    /// Threads running a job.
    busy: usize,
    /// Threads waiting to be notified, including those notified and not yet awake.
    idle: usize,
    /// Idle threads notified and not yet awake.
    waking: usize,
    /// Threads started and not yet running.
    starting: usize,
    /// Jobs refused because the queue was full or the pool closed, since the start.
    refused: u64,
    /// The pool is shutting down: nothing new is queued; threads finish the queue and exit.
    closed: bool,
}

/// A snapshot of the pool's counts, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockingPoolStats {
    /// Threads alive, busy or idle.
    pub threads: usize,
    /// Threads running a plain-`fn` call.
    pub busy: usize,
    /// Calls waiting for a thread.
    pub queued: usize,
    /// Calls refused with `503 Service Unavailable` since the app started.
    pub refused: u64,
    /// The most threads the pool may run.
    pub max_threads: usize,
    /// The most calls that may wait for a thread.
    pub queue_capacity: usize,
}

impl<J> State<J> {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            limits: Limits {
                max_threads: limits.max_threads.max(1),
                queue_capacity: limits.queue_capacity.max(1),
            },
            queue: VecDeque::new(),
            threads: 0,
            busy: 0,
            idle: 0,
            waking: 0,
            starting: 0,
            refused: 0,
            closed: false,
        }
    }

    /// Queues `job`, or gives it back if the queue is full or the pool closed.
    pub(crate) fn submit(&mut self, job: J) -> Result<Provide, J> {
        if self.closed || self.queue.len() >= self.limits.queue_capacity {
            self.refused += 1;
            return Err(job);
        }
        self.queue.push_back(job);
        Ok(self.provide())
    }

    /// Finds the queue a thread, unless one is already coming.
    fn provide(&mut self) -> Provide {
        if self.queue.is_empty() || self.waking + self.starting > 0 {
            Provide::Nothing
        } else if self.idle > 0 {
            self.waking += 1;
            Provide::Wake
        } else if self.threads < self.limits.max_threads {
            self.threads += 1;
            self.starting += 1;
            Provide::Spawn
        } else {
            // Every thread is busy: each comes back to the queue when its job ends.
            Provide::Nothing
        }
    }

    /// A thread that [`Provide::Spawn`] asked for runs.
    pub(crate) fn started(&mut self) -> Next<J> {
        self.starting -= 1;
        self.next()
    }

    /// A thread [`Provide::Spawn`] asked for could not be started. If no thread is left, the
    /// queued jobs are handed back (their requests are refused) rather than retried at once;
    /// else an idle thread is woken for them, or the next busy one to be free takes them.
    pub(crate) fn spawn_failed(&mut self) -> (Provide, Vec<J>) {
        self.threads -= 1;
        self.starting -= 1;
        if self.threads == 0 {
            self.refused += self.queue.len() as u64;
            return (Provide::Nothing, self.queue.drain(..).collect());
        }
        let provide = if !self.queue.is_empty() && self.idle > self.waking && self.waking == 0 {
            self.waking += 1;
            Provide::Wake
        } else {
            Provide::Nothing
        };
        (provide, Vec::new())
    }

    /// A thread's job ended (it returned or panicked).
    pub(crate) fn finished(&mut self) -> Next<J> {
        self.busy -= 1;
        self.next()
    }

    /// A waiting thread woke: notified, spuriously, or because `timed_out` the keep-alive.
    ///
    /// A condition variable does not say which thread a notification reached, so any thread
    /// that wakes while one is due stands for it: the job it was for is taken either way. A
    /// thread that timed out leaves only if there is nothing for it to take.
    pub(crate) fn woke(&mut self, timed_out: bool) -> Next<J> {
        self.idle -= 1;
        let notified = self.waking > 0;
        if notified {
            self.waking -= 1;
        }
        if timed_out && !notified && self.queue.is_empty() && !self.closed {
            self.threads -= 1;
            return Next::Exit;
        }
        self.next()
    }

    /// Closes the pool: nothing new is queued, and every idle thread must be notified so it
    /// can finish the queue and leave.
    pub(crate) fn close(&mut self) {
        self.closed = true;
    }

    /// A thread with no job takes one, waits, or leaves.
    fn next(&mut self) -> Next<J> {
        if let Some(job) = self.queue.pop_front() {
            self.busy += 1;
            let provide = self.provide();
            Next::Run(job, provide)
        } else if self.closed {
            self.threads -= 1;
            Next::Exit
        } else {
            self.idle += 1;
            Next::Wait
        }
    }

    pub(crate) fn stats(&self) -> BlockingPoolStats {
        BlockingPoolStats {
            threads: self.threads,
            busy: self.busy,
            queued: self.queue.len(),
            refused: self.refused,
            max_threads: self.limits.max_threads,
            queue_capacity: self.limits.queue_capacity,
        }
    }
}

#[cfg(test)]
impl<J: std::fmt::Debug> State<J> {
    /// The invariants every transition keeps; the tests check them after each step.
    pub(crate) fn check(&self) {
        assert!(self.threads <= self.limits.max_threads, "{self:?}");
        assert!(self.queue.len() <= self.limits.queue_capacity, "{self:?}");
        assert!(
            self.busy + self.idle + self.starting <= self.threads,
            "every counted thread is busy, idle or starting (or between): {self:?}"
        );
        assert!(self.waking <= self.idle, "{self:?}");
        assert!(
            self.waking + self.starting <= 1,
            "one thread comes at a time: {self:?}"
        );
        if !self.queue.is_empty() {
            assert!(
                self.waking + self.starting + self.busy > 0,
                "a queued job has a thread coming: {self:?}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(max_threads: usize, queue_capacity: usize) -> State<u32> {
        State::new(Limits {
            max_threads,
            queue_capacity,
        })
    }

    /// Runs `step` and checks the invariants after it.
    fn step<T>(state: &mut State<u32>, step: impl FnOnce(&mut State<u32>) -> T) -> T {
        let out = step(state);
        state.check();
        out
    }

    #[test]
    fn the_first_job_starts_a_thread_which_takes_it() {
        let mut s = state(4, 8);
        assert_eq!(step(&mut s, |s| s.submit(1)), Ok(Provide::Spawn));
        assert_eq!(s.stats().threads, 1);
        assert_eq!(step(&mut s, State::started), Next::Run(1, Provide::Nothing));
        assert_eq!(s.stats().busy, 1);
        assert_eq!(step(&mut s, State::finished), Next::Wait);
        assert_eq!(
            s.stats(),
            BlockingPoolStats {
                threads: 1,
                busy: 0,
                queued: 0,
                refused: 0,
                max_threads: 4,
                queue_capacity: 8,
            }
        );
    }

    #[test]
    fn an_idle_thread_is_woken_rather_than_a_new_one_started() {
        let mut s = state(4, 8);
        let _ = s.submit(1);
        let _ = s.started();
        assert_eq!(s.finished(), Next::Wait);
        assert_eq!(step(&mut s, |s| s.submit(2)), Ok(Provide::Wake));
        assert_eq!(
            step(&mut s, |s| s.woke(false)),
            Next::Run(2, Provide::Nothing)
        );
        assert_eq!(s.stats().threads, 1);
    }

    #[test]
    fn while_a_thread_is_coming_a_burst_wakes_nobody_else() {
        let mut s = state(4, 8);
        assert_eq!(s.submit(1), Ok(Provide::Spawn));
        assert_eq!(step(&mut s, |s| s.submit(2)), Ok(Provide::Nothing));
        assert_eq!(step(&mut s, |s| s.submit(3)), Ok(Provide::Nothing));
        // The thread takes the first job and brings the next thread for the rest.
        assert_eq!(step(&mut s, State::started), Next::Run(1, Provide::Spawn));
        assert_eq!(step(&mut s, State::started), Next::Run(2, Provide::Spawn));
        assert_eq!(step(&mut s, State::started), Next::Run(3, Provide::Nothing));
        assert_eq!(s.stats().threads, 3);
        assert_eq!(s.stats().busy, 3);
    }

    #[test]
    fn a_thread_free_before_the_next_arrives_takes_the_queue_itself() {
        let mut s = state(4, 8);
        let _ = s.submit(1);
        let _ = s.started();
        // One busy thread; a second job wakes... nobody is idle, so a thread is started.
        assert_eq!(s.submit(2), Ok(Provide::Spawn));
        // The first thread finishes before the new one runs, and takes job 2.
        assert_eq!(
            step(&mut s, State::finished),
            Next::Run(2, Provide::Nothing)
        );
        // The new thread finds nothing and waits.
        assert_eq!(step(&mut s, State::started), Next::Wait);
    }

    #[test]
    fn with_every_thread_busy_jobs_wait_for_the_first_free_one() {
        let mut s = state(2, 8);
        let _ = s.submit(1);
        let _ = s.started();
        let _ = s.submit(2);
        let _ = s.started();
        assert_eq!(step(&mut s, |s| s.submit(3)), Ok(Provide::Nothing));
        assert_eq!(step(&mut s, |s| s.submit(4)), Ok(Provide::Nothing));
        assert_eq!(s.stats().queued, 2);
        assert_eq!(
            step(&mut s, State::finished),
            Next::Run(3, Provide::Nothing)
        );
        assert_eq!(
            step(&mut s, State::finished),
            Next::Run(4, Provide::Nothing)
        );
        assert_eq!(step(&mut s, State::finished), Next::Wait);
        assert_eq!(step(&mut s, State::finished), Next::Wait);
    }

    #[test]
    fn a_full_queue_refuses_and_counts() {
        let mut s = state(1, 2);
        let _ = s.submit(1);
        let _ = s.started();
        assert!(s.submit(2).is_ok());
        assert!(s.submit(3).is_ok());
        assert_eq!(step(&mut s, |s| s.submit(4)), Err(4));
        assert_eq!(s.stats().refused, 1);
        // Room again once the thread takes the next job.
        let _ = s.finished();
        assert!(step(&mut s, |s| s.submit(5)).is_ok());
    }

    #[test]
    fn an_idle_thread_that_times_out_leaves() {
        let mut s = state(2, 8);
        let _ = s.submit(1);
        let _ = s.started();
        let _ = s.finished();
        assert_eq!(step(&mut s, |s| s.woke(true)), Next::Exit);
        assert_eq!(s.stats().threads, 0);
        // New work starts a new thread.
        assert_eq!(s.submit(2), Ok(Provide::Spawn));
    }

    #[test]
    fn a_thread_that_times_out_while_notified_takes_the_job() {
        let mut s = state(2, 8);
        let _ = s.submit(1);
        let _ = s.started();
        let _ = s.finished();
        assert_eq!(s.submit(2), Ok(Provide::Wake));
        // Its keep-alive ended as the notification came: it must not leave the job behind.
        assert_eq!(
            step(&mut s, |s| s.woke(true)),
            Next::Run(2, Provide::Nothing)
        );
    }

    #[test]
    fn a_notification_taken_by_another_thread_leaves_the_woken_one_waiting() {
        let mut s = state(4, 8);
        // Two idle threads.
        let _ = s.submit(1);
        let _ = s.submit(2);
        let _ = s.started();
        let _ = s.started();
        let _ = s.finished();
        let _ = s.finished();
        assert_eq!(s.submit(3), Ok(Provide::Wake));
        // The first to wake (timed out, as it happens) stands for the notification.
        assert_eq!(
            step(&mut s, |s| s.woke(true)),
            Next::Run(3, Provide::Nothing)
        );
        // The notified one wakes to nothing: a spurious wake, it waits again.
        assert_eq!(step(&mut s, |s| s.woke(false)), Next::Wait);
    }

    #[test]
    fn a_spurious_wake_with_work_queued_takes_it() {
        let mut s = state(2, 8);
        let _ = s.submit(1);
        let _ = s.submit(2);
        assert_eq!(s.started(), Next::Run(1, Provide::Spawn));
        let _ = s.started();
        let _ = s.finished();
        let _ = s.finished();
        assert_eq!(s.submit(3), Ok(Provide::Wake));
        assert_eq!(
            step(&mut s, |s| s.woke(false)),
            Next::Run(3, Provide::Nothing)
        );
        assert_eq!(step(&mut s, |s| s.woke(false)), Next::Wait);
    }

    #[test]
    fn a_failed_start_with_no_thread_left_hands_the_queue_back() {
        let mut s = state(4, 8);
        assert_eq!(s.submit(1), Ok(Provide::Spawn));
        let _ = s.submit(2);
        assert_eq!(
            step(&mut s, State::spawn_failed),
            (Provide::Nothing, vec![1, 2])
        );
        assert_eq!(s.stats().refused, 2);
        assert_eq!(s.stats().threads, 0);
        // The next job tries again.
        assert_eq!(s.submit(3), Ok(Provide::Spawn));
    }

    #[test]
    fn a_failed_start_beside_a_busy_thread_leaves_the_queue_to_it() {
        let mut s = state(4, 8);
        let _ = s.submit(1);
        let _ = s.started();
        assert_eq!(s.submit(2), Ok(Provide::Spawn));
        assert_eq!(
            step(&mut s, State::spawn_failed),
            (Provide::Nothing, vec![])
        );
        assert_eq!(
            step(&mut s, State::finished),
            Next::Run(2, Provide::Nothing)
        );
    }

    /// Found by the exhaustive test below: a job queued while the failed thread was the one
    /// coming must not wait beside an idle thread.
    #[test]
    fn a_failed_start_beside_an_idle_thread_wakes_it() {
        let mut s = state(4, 8);
        let _ = s.submit(1);
        let _ = s.started();
        assert_eq!(s.submit(2), Ok(Provide::Spawn));
        assert_eq!(s.finished(), Next::Run(2, Provide::Nothing));
        assert_eq!(s.finished(), Next::Wait);
        // The thread being started is still the one coming: job 3 waits for it.
        assert_eq!(s.submit(3), Ok(Provide::Nothing));
        assert_eq!(step(&mut s, State::spawn_failed), (Provide::Wake, vec![]));
        assert_eq!(
            step(&mut s, |s| s.woke(false)),
            Next::Run(3, Provide::Nothing)
        );
    }

    #[test]
    fn closing_refuses_new_jobs_and_threads_finish_the_queue_then_leave() {
        let mut s = state(1, 8);
        let _ = s.submit(1);
        let _ = s.started();
        let _ = s.submit(2);
        s.close();
        assert_eq!(step(&mut s, |s| s.submit(3)), Err(3));
        assert_eq!(
            step(&mut s, State::finished),
            Next::Run(2, Provide::Nothing)
        );
        assert_eq!(step(&mut s, State::finished), Next::Exit);
        assert_eq!(s.stats().threads, 0);
    }

    #[test]
    fn closing_lets_idle_threads_leave_when_they_wake() {
        let mut s = state(2, 8);
        let _ = s.submit(1);
        let _ = s.started();
        let _ = s.finished();
        s.close();
        assert_eq!(step(&mut s, |s| s.woke(false)), Next::Exit);
        assert_eq!(s.stats().threads, 0);
    }

    /// Every interleaving of a small scenario's events, explored exhaustively: submits, thread
    /// starts, job ends and wakes (notified, spurious, timed out) in any order the protocol
    /// allows. After each step the invariants hold, and at the end every accepted job ran
    /// exactly once.
    #[test]
    fn every_interleaving_keeps_the_invariants_and_runs_each_job_once() {
        #[derive(Clone)]
        struct World {
            state: State<u32>,
            /// Threads asked for and not yet started.
            spawns: usize,
            /// Notifications sent and not yet delivered.
            notifications: usize,
            /// Jobs being run, one per busy thread.
            running: Vec<u32>,
            /// Threads waiting on the condition variable.
            waiting: usize,
            /// Wakes without a notification still allowed in this path.
            unprompted: u8,
            submitted: u32,
            refused: Vec<u32>,
            ran: Vec<u32>,
        }
        impl World {
            fn provide(&mut self, provide: Provide) {
                match provide {
                    Provide::Nothing => {}
                    Provide::Wake => self.notifications += 1,
                    Provide::Spawn => self.spawns += 1,
                }
            }
            fn next(&mut self, next: Next<u32>) {
                match next {
                    Next::Run(job, provide) => {
                        self.running.push(job);
                        self.provide(provide);
                    }
                    Next::Wait => self.waiting += 1,
                    Next::Exit => {}
                }
            }
            /// Every event that may happen next, applied to a copy each.
            fn successors(&self, jobs: u32) -> Vec<World> {
                let mut out = Vec::new();
                if self.submitted < jobs {
                    let mut w = self.clone();
                    w.submitted += 1;
                    match w.state.submit(w.submitted) {
                        Ok(provide) => w.provide(provide),
                        Err(job) => w.refused.push(job),
                    }
                    out.push(w);
                }
                if self.spawns > 0 {
                    let mut w = self.clone();
                    w.spawns -= 1;
                    let next = w.state.started();
                    w.next(next);
                    out.push(w);
                    let mut w = self.clone();
                    w.spawns -= 1;
                    let (provide, refused) = w.state.spawn_failed();
                    w.provide(provide);
                    w.refused.extend(refused);
                    out.push(w);
                }
                for i in 0..self.running.len() {
                    let mut w = self.clone();
                    let job = w.running.swap_remove(i);
                    w.ran.push(job);
                    let next = w.state.finished();
                    w.next(next);
                    out.push(w);
                }
                if self.notifications > 0 {
                    // A notification reaches a waiting thread (which may also have timed
                    // out just then); with none waiting, it is lost, as a condvar's is.
                    if self.waiting == 0 {
                        let mut w = self.clone();
                        w.notifications -= 1;
                        out.push(w);
                    }
                    for timed_out in [false, true] {
                        if self.waiting == 0 {
                            break;
                        }
                        let mut w = self.clone();
                        w.notifications -= 1;
                        w.waiting -= 1;
                        let next = w.state.woke(timed_out);
                        w.next(next);
                        out.push(w);
                    }
                }
                if self.waiting > 0 && self.unprompted > 0 {
                    // A spurious wake or the keep-alive's end, a bounded number of times.
                    for timed_out in [false, true] {
                        let mut w = self.clone();
                        w.unprompted -= 1;
                        w.waiting -= 1;
                        let next = w.state.woke(timed_out);
                        w.next(next);
                        out.push(w);
                    }
                }
                out
            }
        }
        for (max_threads, capacity, jobs) in [(1, 1, 3), (2, 2, 3), (2, 4, 4), (3, 1, 4)] {
            let start = World {
                state: state(max_threads, capacity),
                spawns: 0,
                notifications: 0,
                running: Vec::new(),
                waiting: 0,
                unprompted: 2,
                submitted: 0,
                refused: Vec::new(),
                ran: Vec::new(),
            };
            let mut stack = vec![start];
            let mut finals = 0;
            while let Some(world) = stack.pop() {
                world.state.check();
                let next = world.successors(jobs);
                if next.is_empty() {
                    // Nothing more can happen: every job ran or was refused, once.
                    let mut seen: Vec<u32> =
                        world.ran.iter().chain(&world.refused).copied().collect();
                    seen.sort_unstable();
                    assert_eq!(
                        seen,
                        (1..=jobs).collect::<Vec<_>>(),
                        "{max_threads}/{capacity}"
                    );
                    assert_eq!(world.state.stats().queued, 0);
                    finals += 1;
                }
                stack.extend(next);
            }
            assert!(finals > 0);
        }
    }
}
