//! From a checked opening handshake to the connection's task: the 101 answer, then the
//! handler on the upgraded connection, tracked by the app's lifespan so that shutdown waits
//! for it.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt as _;
use http::HeaderValue;
use http::request::Parts;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use oxapi_openapi::OperationDoc;
use tokio::sync::oneshot;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::config::WebSocketConfig;
use super::handshake::{self, HandshakeRejection};
use super::message::{CloseFrame, FromMessage, IntoMessage};
use super::socket::{Connection, WebSocket, code};
use crate::context::RequestContext;
use crate::lifespan::LifespanHandle;
use crate::response::{IntoResponse, Response};

/// A request whose opening handshake checked out, not yet answered. A `#[websocket]` route
/// makes one before its handler runs and answers with [`on_upgrade`](Self::on_upgrade).
pub struct WebSocketUpgrade {
    on_upgrade: OnUpgrade,
    accept: HeaderValue,
    config: Arc<WebSocketConfig>,
    lifespan: Option<LifespanHandle>,
    /// The route, for the log of a failing handler.
    route: String,
    /// The route, for the stall detector watching the handler's task.
    stall: crate::stall::RouteId,
}

impl fmt::Debug for WebSocketUpgrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketUpgrade")
            .field("route", &self.route)
            .finish_non_exhaustive()
    }
}

impl WebSocketUpgrade {
    /// Checks the handshake and takes the connection's upgrade from the request.
    ///
    /// # Errors
    ///
    /// A request that is not an opening handshake over HTTP/1.1 (HTTP/2's extended CONNECT,
    /// RFC 8441, is not supported).
    pub(crate) fn from_parts(
        parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, HandshakeRejection> {
        let accept = handshake::accept_key(parts)?;
        let on_upgrade = parts
            .extensions
            .remove::<OnUpgrade>()
            .ok_or_else(HandshakeRejection::not_upgradable)?;
        Ok(Self {
            on_upgrade,
            accept,
            config: ctx
                .state::<WebSocketConfig>()
                .map_or_else(Arc::default, Arc::clone),
            lifespan: ctx
                .state::<LifespanHandle>()
                .map(|handle| (**handle).clone()),
            route: ctx.matched_path().to_owned(),
            stall: ctx.stall(),
        })
    }

    /// Answers `101 Switching Protocols` and, once the connection is upgraded, runs `handler`
    /// with the socket on a task of its own. The task is the lifespan's: shutdown waits for it
    /// (within the grace period). When the handler ends, the socket is closed with `1000`, or
    /// `1011` if the handler returned an error or panicked.
    pub fn on_upgrade<W, Via, F, Fut>(self, handler: F) -> Response
    where
        W: Socket<Via>,
        F: FnOnce(W) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: HandlerOutcome,
    {
        let Self {
            on_upgrade,
            accept,
            config,
            lifespan,
            route,
            stall,
        } = self;
        let shutdown: std::pin::Pin<Box<dyn Future<Output = ()> + Send>> = match &lifespan {
            Some(lifespan) => Box::pin(lifespan.shutdown_signal()),
            None => Box::pin(std::future::pending()),
        };
        let task = async move {
            // The client left before the upgrade: nothing to run.
            let Ok(upgraded) = on_upgrade.await else {
                return;
            };
            let stream = WebSocketStream::from_raw_socket(
                TokioIo::new(upgraded),
                Role::Server,
                Some(config.protocol()),
            )
            .await;
            let (home, back) = oneshot::channel();
            let socket = W::open(Connection::new(stream, config, shutdown), home);
            let outcome = AssertUnwindSafe(handler(socket)).catch_unwind().await;
            let frame = match outcome.map(HandlerOutcome::into_result) {
                Ok(Ok(())) => CloseFrame::new(code::NORMAL, ""),
                Ok(Err(error)) => {
                    tracing::error!(route, %error, "WebSocket handler failed");
                    CloseFrame::new(code::SERVER_ERROR, "internal error")
                }
                Err(_) => {
                    tracing::error!(route, "WebSocket handler panicked");
                    CloseFrame::new(code::SERVER_ERROR, "internal error")
                }
            };
            // The socket comes back when the handler (or whatever it gave the socket to)
            // drops it.
            if let Ok(mut connection) = back.await {
                connection.close(frame).await;
            }
        };
        // The handler runs on the event loop like a request's: its stalls are reported.
        let task = crate::stall::Watched::new(stall, task);
        match lifespan {
            Some(lifespan) => drop(lifespan.spawn(task)),
            None => drop(tokio::spawn(task)),
        }
        handshake::switching_protocols(accept)
    }
}

/// What a `#[websocket]` handler's socket parameter may be: [`WebSocket<C, S>`]. `Via` is
/// inferred from the message types' impls.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a WebSocket",
    label = "the socket parameter",
    note = "a `#[websocket]` handler takes `oxapi::ws::WebSocket` or `WebSocket<ClientMsg, ServerMsg>`"
)]
pub trait Socket<Via>: Send + Sized + 'static {
    /// The socket over an upgraded connection.
    #[doc(hidden)]
    fn open(connection: Connection, home: oneshot::Sender<Connection>) -> Self;

    /// Documents the operation: its 101 response, the message schemas, the 426 error.
    fn describe(op: &mut OperationDoc<'_>);
}

impl<C, S, ViaC, ViaS> Socket<(ViaC, ViaS)> for WebSocket<C, S>
where
    C: FromMessage<ViaC>,
    S: IntoMessage<ViaS>,
{
    fn open(connection: Connection, home: oneshot::Sender<Connection>) -> Self {
        Self::new(connection, home)
    }

    fn describe(op: &mut OperationDoc<'_>) {
        let client = C::schema(op);
        let server = S::schema(op);
        op.websocket(client, server);
        HandshakeRejection::describe(op);
    }
}

/// What a `#[websocket]` handler may return: `()`, or a `Result<(), E>` whose error closes the
/// socket with `1011` and is logged.
#[diagnostic::on_unimplemented(
    message = "a WebSocket handler cannot return `{Self}`",
    label = "not `()` or `Result<(), E>`",
    note = "a `#[websocket]` handler returns `()` or `Result<(), E>` with `E: Display`"
)]
pub trait HandlerOutcome {
    /// `Err` with the error's text if the handler failed.
    ///
    /// # Errors
    ///
    /// The handler's error, as text.
    fn into_result(self) -> Result<(), String>;
}

impl HandlerOutcome for () {
    fn into_result(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: fmt::Display> HandlerOutcome for Result<(), E> {
    fn into_result(self) -> Result<(), String> {
        self.map_err(|error| error.to_string())
    }
}
