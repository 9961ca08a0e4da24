//! What a connection may cost the server: how long it may take to send a request head or sit
//! idle, how large a head may be, how many connections and HTTP/2 streams are served at once.

use std::time::Duration;

/// The server's limits on connections, with defaults that hold against slow and hostile
/// clients; set them with [`App::server_limits`](crate::App::server_limits).
///
/// ```
/// use std::time::Duration;
/// use oxapi::{App, ServerLimits};
///
/// let app = App::new().server_limits(
///     ServerLimits::default()
///         .header_read_timeout(Duration::from_secs(5))
///         .max_connections(50_000),
/// );
/// # app.check().unwrap();
/// ```
///
/// What a client sees when it crosses one is in the README's "Reliability" section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    pub(crate) header_read_timeout: Option<Duration>,
    pub(crate) keep_alive_timeout: Option<Duration>,
    pub(crate) max_header_size: usize,
    pub(crate) max_headers: Option<usize>,
    pub(crate) max_connections: usize,
    pub(crate) http2_max_concurrent_streams: u32,
    pub(crate) http2_max_header_list_size: u32,
    pub(crate) http2_keep_alive_interval: Option<Duration>,
    pub(crate) http2_keep_alive_timeout: Duration,
    pub(crate) http2_max_pending_accept_reset_streams: usize,
}

impl ServerLimits {
    /// The default [`header_read_timeout`](Self::header_read_timeout): 10 s.
    pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
    /// The default [`keep_alive_timeout`](Self::keep_alive_timeout): 75 s, nginx's, longer
    /// than the idle timeout of common load balancers (60 s), so that the balancer, not the
    /// server, closes an idle pooled connection and never sends on one the server is closing.
    pub const DEFAULT_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(75);
    /// The default [`max_header_size`](Self::max_header_size): 32 KiB, nginx's (four 8 KiB
    /// buffers).
    pub const DEFAULT_MAX_HEADER_SIZE: usize = 32 * 1024;
    /// The number of header fields an HTTP/1 request may have unless
    /// [`max_headers`](Self::max_headers) says otherwise: 100, hyper's.
    pub const DEFAULT_MAX_HEADERS: usize = 100;
    /// The default [`max_connections`](Self::max_connections): 25,000.
    pub const DEFAULT_MAX_CONNECTIONS: usize = 25_000;
    /// The default [`http2_max_concurrent_streams`](Self::http2_max_concurrent_streams): 128,
    /// nginx's.
    pub const DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS: u32 = 128;
    /// The default [`http2_keep_alive`](Self::http2_keep_alive) interval and timeout: 20 s.
    pub const DEFAULT_HTTP2_KEEP_ALIVE: Duration = Duration::from_secs(20);
    /// The default [`http2_max_pending_accept_reset_streams`](Self::http2_max_pending_accept_reset_streams): 20.
    pub const DEFAULT_HTTP2_MAX_PENDING_ACCEPT_RESET_STREAMS: usize = 20;

    /// How long an HTTP/1 client may take to send a request head, from its first byte; a
    /// connection still sending one then is closed without a response (hyper writes no 408).
    /// `None` waits forever. Checked at a tick of a quarter of the shorter of this and the
    /// keep-alive timeout, so a connection is closed within 1.25 times the limit.
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.header_read_timeout = timeout.into().filter(|timeout| !timeout.is_zero());
        self
    }

    /// How long an HTTP/1 connection may wait between requests, idle, before it is closed.
    /// `None` keeps idle connections open until the client closes them. A request that is
    /// running, or a response being streamed, is never cut by this.
    #[must_use]
    pub fn keep_alive_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.keep_alive_timeout = timeout.into().filter(|timeout| !timeout.is_zero());
        self
    }

    /// The largest HTTP/1 request head, request line and header fields together, in bytes.
    /// Past it hyper answers `431 Request Header Fields Too Large` itself, with no body, and
    /// closes the connection. Also the bound of a chunked body's trailers.
    #[must_use]
    pub fn max_header_size(mut self, bytes: usize) -> Self {
        self.max_header_size = bytes;
        self
    }

    /// The most header fields an HTTP/1 request may have (default 100): past it, hyper answers
    /// `431` itself. A value other than the default costs an allocation per request: hyper
    /// parses the default number of fields on the stack.
    #[must_use]
    pub fn max_headers(mut self, count: usize) -> Self {
        self.max_headers = (count != Self::DEFAULT_MAX_HEADERS).then_some(count);
        self
    }

    /// The most connections served at once; further ones wait in the listen backlog (4,096,
    /// capped by the kernel's `somaxconn`) until one closes, and past the backlog the kernel
    /// drops their SYNs, so clients retry. At least 1.
    #[must_use]
    pub fn max_connections(mut self, count: usize) -> Self {
        self.max_connections = count.max(1);
        self
    }

    /// The most HTTP/2 streams a client may open at once on one connection
    /// (`SETTINGS_MAX_CONCURRENT_STREAMS`).
    #[must_use]
    pub fn http2_max_concurrent_streams(mut self, count: u32) -> Self {
        self.http2_max_concurrent_streams = count;
        self
    }

    /// The largest HTTP/2 header list (`SETTINGS_MAX_HEADER_LIST_SIZE`), in bytes; a request
    /// over it is refused with `431`. Defaults to [`max_header_size`](Self::max_header_size)'s
    /// default, so both versions accept the same heads.
    #[must_use]
    pub fn http2_max_header_list_size(mut self, bytes: u32) -> Self {
        self.http2_max_header_list_size = bytes;
        self
    }

    /// HTTP/2's liveness check: a PING every `interval` on an otherwise quiet connection, which
    /// is closed if the PING is not answered within `timeout`. `None` sends none. A client
    /// that answers keeps its idle connection; HTTP/2 clients pool a single connection.
    #[must_use]
    pub fn http2_keep_alive(
        mut self,
        interval: impl Into<Option<Duration>>,
        timeout: Duration,
    ) -> Self {
        self.http2_keep_alive_interval = interval.into().filter(|interval| !interval.is_zero());
        self.http2_keep_alive_timeout = timeout;
        self
    }

    /// How many streams an HTTP/2 client may open and reset before the server has accepted
    /// them: past it the connection is closed with `GOAWAY` (`ENHANCE_YOUR_CALM`). This is
    /// the defence against the rapid-reset attack (CVE-2023-44487).
    #[must_use]
    pub fn http2_max_pending_accept_reset_streams(mut self, count: usize) -> Self {
        self.http2_max_pending_accept_reset_streams = count;
        self
    }

    /// The tick at which HTTP/1 connections check their head and idle deadlines, if any.
    pub(crate) fn http1_tick(&self) -> Option<Duration> {
        let shortest = match (self.header_read_timeout, self.keep_alive_timeout) {
            (Some(head), Some(idle)) => head.min(idle),
            (Some(timeout), None) | (None, Some(timeout)) => timeout,
            (None, None) => return None,
        };
        Some((shortest / 4).max(MIN_TICK))
    }
}

/// The shortest tick: a timeout set shorter than four of these is checked less precisely.
const MIN_TICK: Duration = Duration::from_millis(5);

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Some(Self::DEFAULT_HEADER_READ_TIMEOUT),
            keep_alive_timeout: Some(Self::DEFAULT_KEEP_ALIVE_TIMEOUT),
            max_header_size: Self::DEFAULT_MAX_HEADER_SIZE,
            max_headers: None,
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            http2_max_concurrent_streams: Self::DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS,
            http2_max_header_list_size: Self::DEFAULT_MAX_HEADER_SIZE as u32,
            http2_keep_alive_interval: Some(Self::DEFAULT_HTTP2_KEEP_ALIVE),
            http2_keep_alive_timeout: Self::DEFAULT_HTTP2_KEEP_ALIVE,
            http2_max_pending_accept_reset_streams:
                Self::DEFAULT_HTTP2_MAX_PENDING_ACCEPT_RESET_STREAMS,
        }
    }
}
