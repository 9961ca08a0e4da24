//! HTTP/1's header read and keep-alive timeouts, at next to no cost per request.
//!
//! hyper times the wait for a request head itself when it is given a timer, but that costs
//! about 950 instructions per request on `/hello` (`bench/instructions.py`): a sleep boxed and
//! registered per request, an extra read after each response to start it, and a timed park of
//! the worker whenever a timer is registered. Here nothing is timed per request. Each HTTP/1
//! connection has a [`HeadWatch`] of counters — request heads that arrived, responses that
//! finished, reads that moved bytes — kept by the service, the response and the
//! IO ([`CountingIo`]) as plain stores. One thread for the whole process
//! (`server/deadlines.rs`) looks at every connection's counters at a coarse tick
//! ([`HeadDeadline::decide`]) and wakes the connection it finds waiting too long, which then
//! closes.
//!
//! The counters are atomics so that the types are `Send` and `Sync`, and so that the deadline
//! thread may read them; each has one writer, the connection's task, whose relaxed loads and
//! stores are plain moves.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use hyper::rt::{Read, ReadBufCursor, Write};

use crate::limits::ServerLimits;

/// What one HTTP/1 connection's parts report of its state.
#[derive(Debug, Default)]
pub(crate) struct HeadWatch {
    /// How many request heads arrived (the service was called).
    heads: AtomicU32,
    /// How many responses finished: their body was small and in memory when the handler
    /// answered, or their body (streamed, or large) was written to its end.
    done: AtomicU32,
    /// How many reads returned bytes, or the end of the stream.
    reads: AtomicU32,
    /// `reads` when the last response finished: more since mean a head has begun.
    reads_at_done: AtomicU32,
    /// How many writes found the socket's buffer full: a client taking a response in slowly
    /// makes this move; one that stopped reading does not.
    write_stalls: AtomicU32,
    /// Set by the deadline thread: the connection is to close.
    expired: AtomicBool,
    /// Set when shutdown begins: each response from now on says `Connection: close`, so the
    /// client stops sending on this connection, and hyper closes it once it is written.
    closing: AtomicBool,
    /// Set when the connection's task ends: the deadline thread forgets it.
    closed: AtomicBool,
    /// The connection task's waker, for the deadline thread to wake it when it expires.
    waker: Mutex<Option<Waker>>,
}

fn bump(counter: &AtomicU32) {
    counter.store(counter.load(Relaxed).wrapping_add(1), Relaxed);
}

impl HeadWatch {
    /// A request head arrived.
    pub(crate) fn head_arrived(&self) {
        bump(&self.heads);
    }

    /// A response finished.
    pub(crate) fn response_done(&self) {
        self.reads_at_done.store(self.reads.load(Relaxed), Relaxed);
        bump(&self.done);
    }

    /// From now on, every response closes the connection after it (shutdown began).
    pub(crate) fn close_after_each_response(&self) {
        self.closing.store(true, Relaxed);
    }

    /// Whether responses are to close the connection.
    pub(crate) fn closing(&self) -> bool {
        self.closing.load(Relaxed)
    }

    /// Whether the deadline thread found the connection waiting too long.
    pub(crate) fn expired(&self) -> bool {
        self.expired.load(Relaxed)
    }

    /// Keeps `waker` to wake the connection's task when it expires.
    pub(crate) fn set_waker(&self, waker: &Waker) {
        if let Ok(mut slot) = self.waker.lock() {
            *slot = Some(waker.clone());
        }
    }

    /// The deadline thread's verdict: the connection's task wakes and closes it.
    pub(crate) fn expire(&self) {
        self.expired.store(true, Relaxed);
        let waker = self.waker.lock().ok().and_then(|mut slot| slot.take());
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The connection's task ended.
    pub(crate) fn close(&self) {
        self.closed.store(true, Relaxed);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Relaxed)
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            heads: self.heads.load(Relaxed),
            done: self.done.load(Relaxed),
            reads: self.reads.load(Relaxed),
            reads_at_done: self.reads_at_done.load(Relaxed),
            write_stalls: self.write_stalls.load(Relaxed),
        }
    }
}

/// The counts of a [`HeadWatch`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Snapshot {
    heads: u32,
    done: u32,
    reads: u32,
    reads_at_done: u32,
    write_stalls: u32,
}

/// An HTTP/1 connection's IO, counting the reads that move bytes and the writes that find
/// the socket full (a branch on the fast path, a store on the slow one).
#[derive(Debug)]
pub(crate) struct CountingIo<I> {
    io: I,
    watch: Arc<HeadWatch>,
}

impl<I> CountingIo<I> {
    pub(crate) fn new(io: I, watch: Arc<HeadWatch>) -> Self {
        Self { io, watch }
    }
}

impl<I: Read + Unpin> Read for CountingIo<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        if polled.is_ready() {
            bump(&this.watch.reads);
        }
        polled
    }
}

impl<I: Write + Unpin> Write for CountingIo<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write(cx, buf);
        if polled.is_pending() {
            bump(&this.watch.write_stalls);
        }
        polled
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        if polled.is_pending() {
            bump(&this.watch.write_stalls);
        }
        polled
    }
}

/// A streamed response body, which tells the connection's watch when it ends (hyper drops a
/// body once it has written its end, or when the connection closes).
#[derive(Debug)]
pub(crate) struct DoneOnDrop {
    body: crate::Body,
    watch: Arc<HeadWatch>,
}

impl DoneOnDrop {
    pub(crate) fn new(body: crate::Body, watch: Arc<HeadWatch>) -> Self {
        Self { body, watch }
    }
}

impl Drop for DoneOnDrop {
    fn drop(&mut self) {
        self.watch.response_done();
    }
}

impl http_body::Body for DoneOnDrop {
    type Data = bytes::Bytes;
    type Error = crate::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// Why a connection is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expired {
    /// A request head was begun, or a new connection sent nothing, for the header read timeout.
    Head,
    /// The connection sat idle between requests for the keep-alive timeout.
    Idle,
}

/// One connection's deadlines: a pure state machine over the [`HeadWatch`]'s counts at each
/// tick, so that it is tested without a clock.
#[derive(Debug)]
pub(crate) struct HeadDeadline {
    head: Option<Duration>,
    idle: Option<Duration>,
    /// How often the connection must be looked at.
    tick: Duration,
    /// The counts at the last tick.
    last: Option<Snapshot>,
    /// Since when the connection has waited for a head, as first seen at a tick, and since
    /// when it has been sending one.
    waiting_since: Option<Instant>,
    head_since: Option<Instant>,
}

impl HeadDeadline {
    /// The deadlines of `limits`, or `None` if it sets neither.
    pub(crate) fn new(limits: &ServerLimits) -> Option<Self> {
        Some(Self {
            head: limits.header_read_timeout,
            idle: limits.keep_alive_timeout,
            tick: limits.http1_tick()?,
            last: None,
            waiting_since: None,
            head_since: None,
        })
    }

    /// How often the connection must be looked at.
    pub(crate) fn tick(&self) -> Duration {
        self.tick
    }

    /// Looks at the connection at `now`: `Some` if it must close.
    pub(crate) fn check(&mut self, now: Instant, watch: &HeadWatch) -> Option<Expired> {
        self.decide(now, watch.snapshot())
    }

    fn decide(&mut self, now: Instant, now_counts: Snapshot) -> Option<Expired> {
        let last = self.last.replace(now_counts);
        let waiting = now_counts.heads == now_counts.done;
        // A new wait: a request was served since the last tick, or a response being taken in
        // slowly filled the socket again (hyper lets go of a body once it holds its bytes,
        // before they are written). It began at most a tick ago. A client that stops reading
        // a response is closed after the keep-alive timeout, as nginx's `send_timeout` does.
        let moved = last.is_some_and(|last| {
            last.done != now_counts.done || last.write_stalls != now_counts.write_stalls
        });
        if !waiting || moved {
            self.waiting_since = None;
            self.head_since = None;
        }
        if !waiting {
            // Serving a request (or streaming its response): no deadline of ours applies.
            return None;
        }
        let waiting_since = *self.waiting_since.get_or_insert(now);
        // A new connection that has sent nothing yet is held to the header read timeout, as
        // one that began a head: it is no keep-alive connection between requests.
        let head_begun = now_counts.reads != now_counts.reads_at_done || now_counts.heads == 0;
        if head_begun && self.head_since.is_none() {
            self.head_since = Some(now);
        }
        let expired = |since: Option<Instant>, limit: Option<Duration>| {
            since
                .zip(limit)
                .is_some_and(|(since, limit)| now.saturating_duration_since(since) >= limit)
        };
        if expired(self.head_since, self.head) {
            Some(Expired::Head)
        } else if self.head_since.is_none() && expired(Some(waiting_since), self.idle) {
            Some(Expired::Idle)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deadline(head: u64, idle: u64) -> HeadDeadline {
        HeadDeadline::new(
            &ServerLimits::default()
                .header_read_timeout(Some(Duration::from_secs(head)))
                .keep_alive_timeout(Some(Duration::from_secs(idle))),
        )
        .unwrap()
    }

    fn at(start: Instant, secs: u64) -> Instant {
        start + Duration::from_secs(secs)
    }

    /// The counts a connection's parts leave after a sequence of events.
    #[derive(Default)]
    struct Connection(Snapshot);

    impl Connection {
        fn read(&mut self) -> Snapshot {
            self.0.reads += 1;
            self.0
        }
        fn head_arrives(&mut self) -> Snapshot {
            self.read();
            self.0.heads += 1;
            self.0
        }
        fn response_done(&mut self) -> Snapshot {
            self.0.reads_at_done = self.0.reads;
            self.0.done += 1;
            self.0
        }
        fn write_stalls(&mut self) -> Snapshot {
            self.0.write_stalls += 1;
            self.0
        }
        fn served(&mut self) -> Snapshot {
            self.head_arrives();
            self.response_done()
        }
    }

    #[test]
    fn a_new_connection_that_sends_nothing_gets_the_header_timeout() {
        let start = Instant::now();
        let mut deadline = deadline(10, 75);
        assert_eq!(deadline.tick(), Duration::from_millis(2500));
        let connection = Connection::default().0;
        assert_eq!(deadline.decide(at(start, 0), connection), None);
        assert_eq!(deadline.decide(at(start, 9), connection), None);
        assert_eq!(
            deadline.decide(at(start, 10), connection),
            Some(Expired::Head)
        );
    }

    #[test]
    fn a_half_sent_head_is_closed_after_the_header_timeout_however_it_drips() {
        let start = Instant::now();
        let mut deadline = deadline(10, 75);
        let mut connection = Connection::default();
        let idle = connection.served();
        assert_eq!(deadline.decide(at(start, 0), idle), None);
        // A byte a second never resets the clock.
        for second in 1..=10 {
            let dripped = connection.read();
            assert_eq!(
                deadline.decide(at(start, second), dripped),
                None,
                "{second}"
            );
        }
        let dripped = connection.read();
        assert_eq!(deadline.decide(at(start, 11), dripped), Some(Expired::Head));
    }

    #[test]
    fn an_idle_connection_is_closed_after_the_keep_alive_timeout() {
        let start = Instant::now();
        let mut deadline = deadline(10, 75);
        let mut connection = Connection::default();
        let idle = connection.served();
        assert_eq!(deadline.decide(at(start, 0), idle), None);
        assert_eq!(deadline.decide(at(start, 74), idle), None);
        assert_eq!(deadline.decide(at(start, 75), idle), Some(Expired::Idle));
    }

    #[test]
    fn a_long_request_or_stream_is_never_cut() {
        let start = Instant::now();
        let mut deadline = deadline(10, 75);
        let mut connection = Connection::default();
        let busy = connection.head_arrives();
        for second in [0, 10, 100, 1000] {
            assert_eq!(deadline.decide(at(start, second), busy), None);
        }
    }

    #[test]
    fn a_slow_reader_taking_a_response_in_is_not_idle_and_one_that_stopped_is() {
        let start = Instant::now();
        let mut deadline = deadline(10, 75);
        let mut connection = Connection::default();
        let mut counts = connection.served();
        for second in (0..300).step_by(50) {
            assert_eq!(deadline.decide(at(start, second), counts), None, "{second}");
            counts = connection.write_stalls();
        }
        // The client stopped reading.
        assert_eq!(deadline.decide(at(start, 300), counts), None);
        assert_eq!(deadline.decide(at(start, 375), counts), Some(Expired::Idle));
    }

    #[test]
    fn each_request_starts_the_clock_again() {
        let start = Instant::now();
        let mut deadline = deadline(10, 75);
        let mut connection = Connection::default();
        let first = connection.served();
        assert_eq!(deadline.decide(at(start, 0), first), None);
        let second = connection.served();
        assert_eq!(deadline.decide(at(start, 70), second), None);
        assert_eq!(deadline.decide(at(start, 144), second), None);
        assert_eq!(deadline.decide(at(start, 145), second), Some(Expired::Idle));
    }

    #[test]
    fn without_limits_there_is_no_deadline() {
        let none = ServerLimits::default()
            .header_read_timeout(None)
            .keep_alive_timeout(None);
        assert!(HeadDeadline::new(&none).is_none());
        // Only a keep-alive timeout: a new connection is not held to a header timeout.
        let start = Instant::now();
        let mut deadline =
            HeadDeadline::new(&ServerLimits::default().header_read_timeout(None)).unwrap();
        let connection = Connection::default().0;
        assert_eq!(deadline.decide(at(start, 0), connection), None);
        assert_eq!(deadline.decide(at(start, 1000), connection), None);
    }
}
