//! The HTTP server: hyper 1 over tokio, HTTP/1.1 and HTTP/2 (h2c) on one port, with graceful
//! shutdown.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpSocket};

use crate::app::Shared;
use crate::body::Body;
use crate::service::{self, ResponseFuture};

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

/// The hyper service for one connection: every request goes to [`service::call`].
#[derive(Debug, Clone)]
struct AppService {
    app: Shared,
}

impl hyper::service::Service<http::Request<Incoming>> for AppService {
    type Response = crate::Response;
    type Error = std::convert::Infallible;
    type Future = ResponseFuture;

    fn call(&self, request: http::Request<Incoming>) -> ResponseFuture {
        service::call(&self.app, request.map(Body::incoming))
    }
}

/// Accepts connections on `listener` until `shutdown` completes, then stops accepting and
/// waits up to `grace` for in-flight requests to finish.
pub(crate) async fn serve(
    app: Shared,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) {
    let builder = auto::Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    let service = AppService { app };
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    // Responses are written whole; don't hold small ones back (Nagle).
                    let _ = stream.set_nodelay(true);
                    let connection = builder
                        .serve_connection_with_upgrades(TokioIo::new(stream), service.clone())
                        .into_owned();
                    let connection = graceful.watch(connection);
                    tokio::spawn(async move {
                        // Errors here are the peer's (reset, malformed HTTP): nothing to report.
                        let _ = connection.await;
                    });
                }
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => {
            tracing::warn!(?grace, "shutdown grace period over; closing remaining connections");
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
