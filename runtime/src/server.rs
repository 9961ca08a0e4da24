//! The HTTP server: hyper 1 over tokio, HTTP/1.1 and HTTP/2 (h2c, or h2 by ALPN under TLS)
//! on one port, with graceful shutdown.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::app::Shared;
use crate::body::Body;
use crate::extract::PeerAddr;
use crate::limits::ServerLimits;
use crate::routing::ResponseFuture;
use crate::service;
use crate::tls;

mod deadlines;

use crate::head_watch::{CountingIo, HeadWatch};

/// The listen backlog. tokio's default (128) overflows when a few hundred clients connect at
/// once, which clients see as one-second stalls; the kernel caps it at `somaxconn`.
const BACKLOG: u32 = 4096;

/// Binds `addr` with a large backlog and `SO_REUSEADDR`.
pub(crate) fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// How the app's startup ended, as the server learns it: `None` while the startup hooks run,
/// then whether they all succeeded.
pub(crate) type Startup = watch::Receiver<Option<bool>>;

/// A connection accepted before the app was ready: its requests look at how startup went.
#[derive(Debug)]
struct StartupWatch {
    startup: Startup,
    /// Set once startup has succeeded, so that later requests read no lock.
    ready: AtomicBool,
}

/// The hyper service for one connection: every request goes to [`service::call`].
#[derive(Debug, Clone)]
struct AppService {
    app: Shared,
    /// The connection's peer, if the app reads it ([`PeerAddr`]); `None` otherwise, so that a
    /// request of an app that does not carries no extensions (inserting one allocates a map).
    peer: Option<SocketAddr>,
    /// An HTTP/1 connection's watch, told of each request head (see `head_watch`).
    watch: Option<Arc<HeadWatch>>,
    /// Set on a connection accepted while the app was starting (or after it failed to).
    startup: Option<Arc<StartupWatch>>,
}

impl hyper::service::Service<http::Request<Incoming>> for AppService {
    type Response = crate::Response;
    type Error = std::convert::Infallible;
    type Future = ResponseFuture;

    fn call(&self, mut request: http::Request<Incoming>) -> ResponseFuture {
        // Added where hyper put the request, before it moves on: mapping first and then
        // mutating cost a copy of the whole request (~50 instructions) even when unused.
        if let Some(peer) = self.peer {
            request.extensions_mut().insert(PeerAddr(peer));
        }
        let mut response = match &self.startup {
            Some(startup) if !startup.ready.load(Ordering::Relaxed) => {
                call_before_ready(&self.app, startup, request.map(Body::incoming))
            }
            _ => service::call(&self.app, request.map(Body::incoming)),
        };
        if let Some(watch) = &self.watch {
            watch.head_arrived();
            response.tell_when_done(Arc::clone(watch));
        }
        response
    }
}

/// Serves a request of a connection accepted before the app was ready. While the startup
/// hooks run, the probes are answered at once and any other request waits for them to end;
/// then it is served, or answered with the not-ready problem if startup failed.
#[inline(never)]
fn call_before_ready(
    app: &Shared,
    startup: &StartupWatch,
    request: crate::handler::Request,
) -> ResponseFuture {
    let outcome = *startup.startup.borrow();
    match outcome {
        Some(true) => {
            startup.ready.store(true, Ordering::Relaxed);
            service::call(app, request)
        }
        None if app.health.is_probe(request.uri().path()) => service::call(app, request),
        _ => {
            let handlers = app.routing.handlers.clone();
            let app = Arc::clone(app);
            let mut waiting = startup.startup.clone();
            ResponseFuture::running(
                Box::pin(async move {
                    // The sender is dropped only once serving is over: then the app is not
                    // starting any more.
                    let started = waiting
                        .wait_for(Option::is_some)
                        .await
                        .is_ok_and(|outcome| *outcome == Some(true));
                    if started {
                        match service::call(&app, request).await {
                            Ok(response) => response,
                            Err(never) => match never {},
                        }
                    } else {
                        let mut response =
                            crate::health::not_ready(crate::LifespanState::Stopped).render();
                        // Nothing more is served here.
                        response.headers_mut().insert(
                            http::header::CONNECTION,
                            http::HeaderValue::from_static("close"),
                        );
                        response
                    }
                }),
                false,
                &handlers,
                0,
            )
        }
    }
}

/// Applies the HTTP/2 limits to hyper's builder or hyper-util's: two types with the same
/// methods.
macro_rules! configure_http2 {
    ($builder:expr, $limits:expr) => {{
        let limits: &ServerLimits = $limits;
        $builder
            .max_concurrent_streams(limits.http2_max_concurrent_streams)
            .max_header_list_size(limits.http2_max_header_list_size)
            .max_pending_accept_reset_streams(limits.http2_max_pending_accept_reset_streams)
            .timer(TokioTimer::new())
            .keep_alive_interval(limits.http2_keep_alive_interval)
            .keep_alive_timeout(limits.http2_keep_alive_timeout);
    }};
}

/// The connection builders, configured once and shared by every connection task.
#[derive(Debug)]
struct Protocols {
    http1: http1::Builder,
    http2: http2::Builder<TokioExecutor>,
    /// hyper-util's reading detector, for the rare connection whose first read is too short
    /// to tell the versions apart.
    auto: auto::Builder<TokioExecutor>,
    limits: ServerLimits,
}

impl Protocols {
    fn new(limits: &ServerLimits) -> Self {
        let mut http1 = http1::Builder::new();
        http1.max_header_size(limits.max_header_size);
        if let Some(count) = limits.max_headers {
            http1.max_headers(count);
        }
        let mut http2 = http2::Builder::new(TokioExecutor::new());
        configure_http2!(http2, limits);
        // The rare path keeps hyper's own timer, costly per request but exact; its builder
        // bounds the head by the read buffer, of at least 8 KiB.
        let mut auto = auto::Builder::new(TokioExecutor::new());
        {
            let mut http1 = auto.http1();
            http1
                .max_buf_size(limits.max_header_size.max(8192))
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout.or(limits.keep_alive_timeout));
            if let Some(count) = limits.max_headers {
                http1.max_headers(count);
            }
        }
        configure_http2!(auto.http2(), limits);
        Self {
            http1,
            http2,
            auto,
            limits: limits.clone(),
        }
    }
}

/// Where the server is in its shutdown, as each connection's task sees it. Phases only move
/// forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    /// Serving as usual.
    Serving,
    /// The shutdown signal came, and the listener stays open for the drain delay: HTTP/1
    /// responses close their connection, HTTP/2 connections are sent `GOAWAY`.
    Leaving,
    /// The listener is closed: each connection finishes its in-flight requests and closes;
    /// an idle one closes now.
    Closing,
}

/// Accepts connections on `listener` until `shutdown` completes, then goes on accepting for
/// `delay` while telling each connection to close (see [`Phase::Leaving`]), accepts what is
/// left in the accept queue, closes the listener, and waits up to `grace` for in-flight
/// requests to finish.
///
/// It serves from the start, while the app's startup hooks run: a connection accepted before
/// `startup` says they succeeded has its probes answered at once, and its other requests wait
/// for the outcome (see `call_before_ready`). `shutdown` gives the drain delay to use: none
/// after a failed startup, since the instance never took traffic.
pub(crate) async fn serve(
    app: Shared,
    listener: TcpListener,
    startup: Startup,
    shutdown: impl Future<Output = Duration>,
    grace: Duration,
) {
    let acceptor = Acceptor::new(app, startup);
    let mut shutdown = std::pin::pin!(shutdown);
    let delay = acceptor.accept_until(&listener, shutdown.as_mut()).await;
    acceptor.phase.send_replace(Phase::Leaving);
    if let Some(delay) = delay.filter(|delay| !delay.is_zero()) {
        acceptor
            .accept_until(&listener, std::pin::pin!(tokio::time::sleep(delay)))
            .await;
    }
    // Closing the listener resets the connections waiting in its queue, whose clients may
    // have sent a request already: those are accepted and answered first.
    acceptor.accept_queued(listener);
    acceptor.phase.send_replace(Phase::Closing);
    let ended = async {
        tokio::join!(acceptor.phase.closed(), acceptor.queued.closed());
    };
    tokio::select! {
        () = ended => {}
        () = tokio::time::sleep(grace) => {
            tracing::warn!(?grace, "shutdown grace period over; closing remaining connections");
        }
    }
}

/// What the accept loop needs to start a connection's task.
struct Acceptor {
    app: Shared,
    protocols: Arc<Protocols>,
    /// A permit per connection served: at the limit, the loop stops accepting, and new
    /// connections wait in the backlog until one closes.
    permits: Arc<Semaphore>,
    tls: Option<tls::Acceptor>,
    /// Each connection task holds a receiver: the phase tells them to close, and `closed`
    /// completes once the last of them has ended.
    phase: watch::Sender<Phase>,
    /// The same for the connections taken from the queue as the listener closes: they stay
    /// `Leaving`, so each is answered once, then closed.
    queued: watch::Sender<Phase>,
    startup: Startup,
}

impl Acceptor {
    fn new(app: Shared, startup: Startup) -> Self {
        Self {
            protocols: Arc::new(Protocols::new(&app.limits)),
            permits: Arc::clone(&app.connections),
            tls: app.tls.as_ref().map(crate::TlsConfig::acceptor),
            phase: watch::channel(Phase::Serving).0,
            queued: watch::channel(Phase::Leaving).0,
            startup,
            app,
        }
    }

    /// Accepts connections and starts their tasks until `stop` completes, and returns its
    /// output.
    async fn accept_until<T>(
        &self,
        listener: &TcpListener,
        mut stop: Pin<&mut impl Future<Output = T>>,
    ) -> Option<T> {
        loop {
            let permit = tokio::select! {
                permit = Arc::clone(&self.permits).acquire_owned() => match permit {
                    Ok(permit) => permit,
                    // The semaphore is never closed.
                    Err(_) => return None,
                },
                out = stop.as_mut() => return Some(out),
            };
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        self.start(stream, peer, Some(permit), self.phase.subscribe());
                    }
                    Err(error) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                out = stop.as_mut() => return Some(out),
            }
        }
    }

    /// Accepts every connection already in the listener's queue, without waiting, and
    /// closes the listener. The queue is read with the socket's own non-blocking `accept`,
    /// not tokio's, which would wait for the event loop to report it readable. A connection
    /// whose client has sent something (a request, a TLS hello) is served once and closed,
    /// even past the connection limit; one that has sent nothing is closed at once, as the
    /// listener would have.
    fn accept_queued(&self, listener: TcpListener) {
        let Ok(listener) = listener.into_std() else {
            return;
        };
        loop {
            match listener.accept() {
                Ok((stream, peer)) => {
                    // Non-blocking first, so that the peek cannot wait. Ok(0) is a client that
                    // closed already; `WouldBlock`, one that has sent nothing.
                    if stream.set_nonblocking(true).is_err()
                        || !matches!(stream.peek(&mut [0; 1]), Ok(read) if read > 0)
                    {
                        continue;
                    }
                    if let Ok(stream) = TcpStream::from_std(stream) {
                        let permit = Arc::clone(&self.permits).try_acquire_owned().ok();
                        self.start(stream, peer, permit, self.queued.subscribe());
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                // `WouldBlock`: the queue is empty.
                Err(_) => return,
            }
        }
    }

    /// Starts the task serving one accepted connection, which follows `phase`.
    fn start(
        &self,
        stream: TcpStream,
        peer: SocketAddr,
        permit: Option<OwnedSemaphorePermit>,
        phase: watch::Receiver<Phase>,
    ) {
        // Responses are written whole; don't hold small ones back (Nagle).
        let _ = stream.set_nodelay(true);
        // Once per connection: a connection accepted once the app is ready never looks again.
        let ready = *self.startup.borrow() == Some(true);
        let service = AppService {
            app: Arc::clone(&self.app),
            peer: self.app.needs_peer.then_some(peer),
            watch: None,
            startup: (!ready).then(|| {
                Arc::new(StartupWatch {
                    startup: self.startup.clone(),
                    ready: AtomicBool::new(false),
                })
            }),
        };
        let protocols = Arc::clone(&self.protocols);
        match &self.tls {
            None => {
                tokio::spawn(serve_connection(stream, service, protocols, phase, permit));
            }
            Some(tls) => {
                tokio::spawn(serve_tls_connection(
                    stream,
                    tls.clone(),
                    service,
                    protocols,
                    phase,
                    permit,
                ));
            }
        }
    }
}

/// Serves one HTTP/1.1 connection over `io`, upgrades included, until it ends: the test
/// client's in-process WebSockets.
pub(crate) async fn serve_http1<I>(app: Shared, io: I, peer: SocketAddr)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = AppService {
        peer: app.needs_peer.then_some(peer),
        app,
        watch: None,
        startup: None,
    };
    // The connection's errors are the client's, and the test sees them on its side.
    let _ = http1::Builder::new()
        .serve_connection(io, service)
        .with_upgrades()
        .await;
}

/// The HTTP version a new connection speaks, told from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Http1,
    /// The connection opened with HTTP/2's preface (h2c with prior knowledge).
    Http2,
    /// Too few bytes arrived to tell (`P`, `PR` or `PRI` may begin either), or a TLS client
    /// agreed on no protocol by ALPN: hyper-util reads the first bytes to tell.
    Undecided,
}

/// The start of HTTP/2's connection preface. `PRI` is no HTTP/1 method (RFC 9113 reserves
/// it), so four bytes decide.
const H2_PREFACE_START: &[u8; 4] = b"PRI ";

/// Tells the protocol from the bytes first read, without consuming them.
fn sniff(first: &[u8]) -> Protocol {
    if first.len() >= H2_PREFACE_START.len() {
        if first.starts_with(H2_PREFACE_START) {
            Protocol::Http2
        } else {
            Protocol::Http1
        }
    } else if first.is_empty() || !H2_PREFACE_START.starts_with(first) {
        // Nothing (the peer closed: hyper sees the end) or a clear HTTP/1 method.
        Protocol::Http1
    } else {
        Protocol::Undecided
    }
}

/// Serves one connection until it closes, or until shutdown asks it to finish its in-flight
/// requests.
///
/// The version is told by peeking at the first bytes rather than reading them into a buffer,
/// and only the HTTP/1 connection is held inline: an idle keep-alive connection costs the
/// HTTP/1 state alone, not room for HTTP/2's as well.
async fn serve_connection(
    stream: TcpStream,
    service: AppService,
    protocols: Arc<Protocols>,
    mut phase: watch::Receiver<Phase>,
    // Held until the connection ends.
    _permit: Option<OwnedSemaphorePermit>,
) {
    // Watched from the start: a connection that sends nothing is held to the header read
    // timeout before its version is known, too.
    let watch = deadlines::watch(&protocols.limits).map(Watch);
    let mut first = [0; H2_PREFACE_START.len()];
    let protocol = tokio::select! {
        biased;
        peeked = stream.peek(&mut first) => match peeked {
            Ok(read) => sniff(&first[..read]),
            // hyper meets the same error on its first read and ends the connection.
            Err(_) => Protocol::Http1,
        },
        // The listener closed before a request arrived: nothing is in flight. (One that
        // arrives during the drain delay is served, and closes its connection.)
        _ = phase.wait_for(|phase| *phase == Phase::Closing) => return,
        () = expiry(watch.as_ref()) => return,
    };
    serve_io(stream, protocol, service, &protocols, phase, watch).await;
}

/// Serves one TLS connection: the handshake (bounded by the handshake timeout, given up at
/// shutdown), then the version ALPN chose, as [`serve_connection`] does.
async fn serve_tls_connection(
    stream: TcpStream,
    tls: tls::Acceptor,
    service: AppService,
    protocols: Arc<Protocols>,
    mut phase: watch::Receiver<Phase>,
    // Held until the connection ends.
    _permit: Option<OwnedSemaphorePermit>,
) {
    let accepted = tokio::select! {
        biased;
        accepted = tls.accept(stream) => accepted,
        // The listener closed before a request arrived: nothing is in flight.
        _ = phase.wait_for(|phase| *phase == Phase::Closing) => return,
    };
    // A failed or timed-out handshake: dropping the stream closes the connection.
    let Some((stream, alpn)) = accepted else {
        return;
    };
    let protocol = match alpn {
        tls::Alpn::Http2 => Protocol::Http2,
        tls::Alpn::Http1 => Protocol::Http1,
        tls::Alpn::None => Protocol::Undecided,
    };
    // The handshake had its own timeout; the head's starts now.
    let watch = deadlines::watch(&protocols.limits).map(Watch);
    serve_io(stream, protocol, service, &protocols, phase, watch).await;
}

/// Serves `stream` as `protocol` until the connection ends, or until shutdown asks it to
/// finish its in-flight requests: the same for a TCP stream and a TLS one.
async fn serve_io<S>(
    stream: S,
    protocol: Protocol,
    mut service: AppService,
    protocols: &Protocols,
    phase: watch::Receiver<Phase>,
    watch: Option<Watch>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(stream);
    // Errors from the connections are the peer's (reset, malformed HTTP): nothing to report.
    match (protocol, watch) {
        (Protocol::Http1, Some(watch)) => {
            service.watch = Some(Arc::clone(&watch.0));
            let io = CountingIo::new(io, Arc::clone(&watch.0));
            let connection = std::pin::pin!(
                protocols
                    .http1
                    .serve_connection(io, service)
                    .with_upgrades()
            );
            finish(connection, phase, Some(&watch.0), |connection| {
                connection.graceful_shutdown();
            })
            .await;
        }
        (Protocol::Http1, None) => {
            let connection = std::pin::pin!(
                protocols
                    .http1
                    .serve_connection(io, service)
                    .with_upgrades()
            );
            finish(connection, phase, None, |connection| {
                connection.graceful_shutdown();
            })
            .await;
        }
        // HTTP/2 keeps its own liveness checks; the rare undecided connection has hyper's
        // timer. Dropping the watch forgets it.
        (Protocol::Http2, _) => {
            let mut connection = Box::pin(protocols.http2.serve_connection(io, service));
            finish(connection.as_mut(), phase, None, |connection| {
                connection.graceful_shutdown();
            })
            .await;
        }
        (Protocol::Undecided, _) => {
            let mut connection =
                Box::pin(protocols.auto.serve_connection_with_upgrades(io, service));
            finish(connection.as_mut(), phase, None, |connection| {
                connection.graceful_shutdown();
            })
            .await;
        }
    }
}

/// A connection's [`HeadWatch`], which the deadline thread forgets once this is dropped
/// (however the connection's task ends).
struct Watch(Arc<HeadWatch>);

impl Drop for Watch {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Completes when the deadline thread expires `watch`; never without one.
async fn expiry(watch: Option<&Watch>) {
    let Some(Watch(watch)) = watch else {
        return std::future::pending().await;
    };
    std::future::poll_fn(|cx| {
        watch.set_waker(cx.waker());
        if watch.expired() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

/// Drives `connection` to its end, closing it as shutdown asks: a watched HTTP/1 connection
/// answers with `Connection: close` from [`Phase::Leaving`] on (each response then ends it)
/// and starts its graceful shutdown (in-flight requests finish, an idle connection closes) at
/// [`Phase::Closing`]; any other starts its graceful shutdown (HTTP/2: `GOAWAY`) at
/// `Leaving`. An HTTP/1 connection with a `watch` is dropped, and so closed, when the
/// deadline thread expires it.
///
/// The caller pins the connection: an `async fn` that took it by value and pinned it would
/// keep two slots of its size in its state (the argument and the pinned local), and an idle
/// HTTP/1 connection's task would be ~670 bytes larger (`bench/run.py idle`).
async fn finish<C, E>(
    mut connection: Pin<&mut C>,
    mut phase: watch::Receiver<Phase>,
    watch: Option<&HeadWatch>,
    graceful_shutdown: impl FnOnce(Pin<&mut C>),
) where
    C: Future<Output = Result<(), E>>,
{
    let shut_down_at = if watch.is_some() {
        Phase::Closing
    } else {
        Phase::Leaving
    };
    loop {
        let current = *phase.borrow_and_update();
        if current >= Phase::Leaving
            && let Some(watch) = watch
        {
            watch.close_after_each_response();
        }
        if current >= shut_down_at {
            break;
        }
        let serving = current == Phase::Serving;
        match wait(connection.as_mut(), &mut phase, watch, serving).await {
            Ended::Closed | Ended::Expired => return,
            Ended::PhaseChanged => {}
            Ended::ServerGone => break,
        }
    }
    graceful_shutdown(connection.as_mut());
    let _ = connection.await;
}

/// Drives `connection` until it ends, the deadline thread expires it, or the phase changes;
/// `serving` if the phase last seen is [`Phase::Serving`].
async fn wait<C, E>(
    mut connection: Pin<&mut C>,
    phase: &mut watch::Receiver<Phase>,
    watch: Option<&HeadWatch>,
    serving: bool,
) -> Ended
where
    C: Future<Output = Result<(), E>>,
{
    // The connection task is woken for every request. Polling the phase's future each time
    // would lock its wait list each time; while serving, it is polled once to register this
    // task's waker, and after that only once the channel says the phase changed (an atomic
    // load). The deadline thread is given the same waker once: a spawned task's waker stays
    // the same.
    //
    // That shortcut holds only while no phase was ever sent: the channel wakes its waiters
    // shard by shard after a send, so a waiter registered just after `Leaving` was seen can
    // still be woken by the end of `Leaving`'s own wake-up. That wake finds the version
    // unchanged; if the future were not polled then, it would not register again, and
    // `Closing`'s wake-up would find no one to wake (a connection left open until the grace
    // period ends). Once shutdown has begun, the future is polled on every wake.
    let signal = phase.clone();
    let mut changed = std::pin::pin!(phase.changed());
    let mut registered = false;
    std::future::poll_fn(|cx| {
        if connection.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Ended::Closed);
        }
        if !registered || !serving || signal.has_changed().unwrap_or(true) {
            if !registered && let Some(watch) = watch {
                watch.set_waker(cx.waker());
            }
            registered = true;
            if let Poll::Ready(changed) = changed.as_mut().poll(cx) {
                return Poll::Ready(match changed {
                    Ok(()) => Ended::PhaseChanged,
                    Err(_) => Ended::ServerGone,
                });
            }
        }
        if watch.is_some_and(HeadWatch::expired) {
            return Poll::Ready(Ended::Expired);
        }
        Poll::Pending
    })
    .await
}

/// How [`wait`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// The connection ended.
    Closed,
    /// The shutdown phase moved on.
    PhaseChanged,
    /// The accept loop is gone (its future was dropped): the connection is to close.
    ServerGone,
    /// An HTTP/1 connection waited too long for a request head: dropping it closes it.
    Expired,
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
///
/// The handlers are installed here, when it is called, not when the future is first polled:
/// the accept loop may serve requests before it polls the shutdown future, and a SIGTERM in
/// that window would otherwise kill the process with the default action instead of draining.
/// Must be called within the runtime.
pub(crate) fn shutdown_signal() -> impl Future<Output = ()> + Send {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                // Without signal handlers, shutdown comes only from the caller's future.
                _ => std::future::pending::<()>().await,
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Protocol, sniff};

    #[test]
    fn the_first_bytes_tell_the_protocol() {
        let cases: &[(&[u8], Protocol)] = &[
            (b"GET / HTTP/1.1\r\n", Protocol::Http1),
            (b"POST", Protocol::Http1),
            (b"PUT ", Protocol::Http1),
            (b"PATCH", Protocol::Http1),
            (b"PROPFIND", Protocol::Http1),
            (b"G", Protocol::Http1),
            (b"PO", Protocol::Http1),
            (b"", Protocol::Http1),
            (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Protocol::Http2),
            (b"PRI ", Protocol::Http2),
            (b"P", Protocol::Undecided),
            (b"PR", Protocol::Undecided),
            (b"PRI", Protocol::Undecided),
        ];
        for (first, expected) in cases {
            assert_eq!(
                sniff(first),
                *expected,
                "{:?}",
                String::from_utf8_lossy(first)
            );
        }
    }
}
