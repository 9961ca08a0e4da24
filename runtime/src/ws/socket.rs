//! The socket a WebSocket handler holds: receiving, sending, closing, and the close codes the
//! server sends on its own.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{FutureExt as _, SinkExt as _, StreamExt as _};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::oneshot;
use tokio::time::{Instant, timeout, timeout_at};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{self, Error as ProtocolError};

use super::config::WebSocketConfig;
use super::message::{CloseFrame, FromMessage, IntoMessage, Message, RecvError, SendError};

/// The close codes the server sends (RFC 6455, section 7.4.1).
pub(crate) mod code {
    /// The handler is done.
    pub(crate) const NORMAL: u16 = 1000;
    /// The server is shutting down, or the connection was idle too long.
    pub(crate) const GOING_AWAY: u16 = 1001;
    /// The client broke the protocol (bad frame, reserved bits, unmasked frame, ...).
    pub(crate) const PROTOCOL_ERROR: u16 = 1002;
    /// A message was not what it should be: text not UTF-8, or not the handler's JSON.
    pub(crate) const INVALID_PAYLOAD: u16 = 1007;
    /// A message or frame was larger than the app's limit.
    pub(crate) const TOO_BIG: u16 = 1009;
    /// The handler failed or panicked.
    pub(crate) const SERVER_ERROR: u16 = 1011;
    /// No close frame: the connection was dropped (never sent, only reported).
    pub(crate) const ABNORMAL: u16 = 1006;
}

/// How long a failed connection reads what the client still sends before it is dropped.
const LINGER: Duration = Duration::from_secs(1);

/// The protocol over the upgraded connection.
pub(crate) type Stream = WebSocketStream<TokioIo<Upgraded>>;

/// An open WebSocket, as a `#[websocket]` handler receives it: `WebSocket` for raw
/// [`Message`]s, or `WebSocket<ClientMsg, ServerMsg>` for JSON messages of `#[model]` types.
///
/// Pings are answered with pongs and the client's close frame is answered, by the server
/// itself. [`recv`](Self::recv) and [`send`](Self::send) end the connection with the right
/// close code when something goes wrong:
///
/// | what happened | close code |
/// |---|---|
/// | the handler returned `()` or `Ok(())` | `1000` |
/// | shutdown began (during `recv` or at `send`) | `1001`, reason `server shutting down` |
/// | nothing received within the idle timeout (during `recv`) | `1001`, reason `idle timeout` |
/// | the client broke the protocol | `1002` |
/// | text that is not UTF-8, or not the JSON of `ClientMsg` | `1007` |
/// | a message or frame over the app's limits | `1009` |
/// | the handler returned `Err(..)` or panicked | `1011` |
/// | a send did not finish within the send timeout | none: the connection is dropped |
///
/// The limits are the app's [`WebSocketConfig`].
pub struct WebSocket<C = Message, S = Message> {
    /// `Some` while the handler holds the socket; handed back to the connection task on drop.
    connection: Option<Connection>,
    home: Option<oneshot::Sender<Connection>>,
    messages: PhantomData<fn(S) -> C>,
}

impl<C, S> fmt::Debug for WebSocket<C, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocket")
            .field("close_frame", &self.close_frame())
            .finish_non_exhaustive()
    }
}

impl<C, S> WebSocket<C, S> {
    pub(crate) fn new(connection: Connection, home: oneshot::Sender<Connection>) -> Self {
        Self {
            connection: Some(connection),
            home: Some(home),
            messages: PhantomData,
        }
    }

    /// The next message from the client; `None` once the connection is closed (by the client,
    /// by shutdown, by the idle timeout or by a protocol error: [`close_frame`](Self::close_frame)
    /// says how).
    ///
    /// A message that is not `C` (invalid JSON for a typed socket) closes the connection with
    /// `1007` and returns [`RecvError::InvalidMessage`]; the next call returns `None`.
    ///
    /// Cancel-safe while it waits for a message: race it against a channel with
    /// `tokio::select!` (a chat room's broadcast, say) and send in the other branch; a message
    /// partly received stays buffered for the next call.
    pub async fn recv<Via>(&mut self) -> Option<Result<C, RecvError>>
    where
        C: FromMessage<Via>,
    {
        let connection = self.connection.as_mut()?;
        let message = connection.recv().await?;
        match C::from_message(message) {
            Ok(message) => Some(Ok(message)),
            Err(detail) => {
                connection
                    .close(CloseFrame::new(code::INVALID_PAYLOAD, detail.clone()))
                    .await;
                Some(Err(RecvError::InvalidMessage(detail)))
            }
        }
    }

    /// Sends `message` (for a typed socket, a text message of its JSON), waiting at most the
    /// app's send timeout for the client to take it.
    ///
    /// # Errors
    ///
    /// [`SendError::Closed`] if the connection is closed or the send timed out (the connection
    /// is then dropped); [`SendError::Encode`] if the message does not serialize.
    pub async fn send<Via>(&mut self, message: &S) -> Result<(), SendError>
    where
        S: IntoMessage<Via>,
    {
        let message = message.to_message().map_err(SendError::Encode)?;
        self.send_message(message).await
    }

    /// Sends a raw text or binary message, whatever the socket's types.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub async fn send_message(&mut self, message: impl Into<Message>) -> Result<(), SendError> {
        match self.connection.as_mut() {
            Some(connection) => connection.send(message.into()).await,
            None => Err(SendError::Closed),
        }
    }

    /// Closes the connection with `code` and `reason` and waits (up to the send timeout) for
    /// the client's answer. Closing a closed socket does nothing.
    pub async fn close(&mut self, code: u16, reason: &str) {
        if let Some(connection) = self.connection.as_mut() {
            connection.close(CloseFrame::new(code, reason)).await;
        }
    }
}

impl<C, S> WebSocket<C, S> {
    /// How the connection ended, once it has: the close frame received or sent first, or
    /// `1006` if it was dropped without one. `None` while it is open.
    pub fn close_frame(&self) -> Option<&CloseFrame> {
        self.connection.as_ref()?.closed.as_ref()
    }
}

impl<C, S> Drop for WebSocket<C, S> {
    /// Hands the connection back to its task, which closes it as the handler's outcome says
    /// (`1000`, or `1011` after an error or a panic).
    fn drop(&mut self) {
        if let (Some(connection), Some(home)) = (self.connection.take(), self.home.take()) {
            // The task is gone only if the runtime is shutting down: nothing to close then.
            let _ = home.send(connection);
        }
    }
}

/// One WebSocket connection: the protocol stream and what the server watches for it. Public
/// only as a parameter of [`Socket`](super::Socket)'s hidden constructor.
pub struct Connection {
    stream: Stream,
    config: Arc<WebSocketConfig>,
    /// Completes when the app begins shutting down.
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
    /// When the idle timeout runs out, if there is one; moved on by each frame received.
    idle_deadline: Option<Instant>,
    /// How the connection ended, once it has.
    pub(crate) closed: Option<CloseFrame>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl Connection {
    pub(crate) fn new(
        stream: Stream,
        config: Arc<WebSocketConfig>,
        shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
    ) -> Self {
        let idle_deadline = config.idle_timeout.map(|idle| Instant::now() + idle);
        Self {
            stream,
            config,
            shutdown,
            idle_deadline,
            closed: None,
        }
    }

    /// The next data message; `None` once closed, by the client or by the server for a reason
    /// it recorded.
    async fn recv(&mut self) -> Option<Message> {
        loop {
            if self.closed.is_some() {
                return None;
            }
            let next = tokio::select! {
                biased;
                () = &mut self.shutdown => {
                    self.close(CloseFrame::new(code::GOING_AWAY, "server shutting down")).await;
                    return None;
                }
                next = next_frame(&mut self.stream, self.idle_deadline) => next,
            };
            let Some(next) = next else {
                self.close(CloseFrame::new(code::GOING_AWAY, "idle timeout"))
                    .await;
                return None;
            };
            if let Some(idle) = self.config.idle_timeout {
                self.idle_deadline = Some(Instant::now() + idle);
            }
            match next {
                Some(Ok(tungstenite::Message::Close(frame))) => {
                    self.closed = Some(CloseFrame::from_protocol(frame.as_ref()));
                    // tungstenite queued the answering close frame: send it, then end.
                    self.finish().await;
                    return None;
                }
                // A ping's pong is queued by tungstenite and goes out with the next read or
                // write.
                Some(Ok(message)) => {
                    if let Some(message) = Message::from_protocol(message) {
                        return Some(message);
                    }
                }
                Some(Err(error)) => {
                    self.fail(&error).await;
                    return None;
                }
                None => {
                    self.closed = Some(CloseFrame::new(code::ABNORMAL, "connection dropped"));
                    return None;
                }
            }
        }
    }

    /// Sends one message, flushed, within the send timeout; a timeout drops the connection.
    async fn send(&mut self, message: Message) -> Result<(), SendError> {
        if self.closed.is_some() {
            return Err(SendError::Closed);
        }
        // A handler that only sends still ends on shutdown.
        if self.shutdown.as_mut().now_or_never().is_some() {
            self.close(CloseFrame::new(code::GOING_AWAY, "server shutting down"))
                .await;
            return Err(SendError::Closed);
        }
        let sent = timeout(
            self.config.send_timeout,
            self.stream.send(message.into_protocol()),
        )
        .await;
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => {
                self.fail(&error).await;
                Err(SendError::Closed)
            }
            Err(_) => {
                // The client does not read: nothing more is written for it, not even a close
                // frame, which would wait behind what it has not read.
                tracing::debug!("WebSocket send timed out; dropping the connection");
                self.closed = Some(CloseFrame::new(code::ABNORMAL, "send timeout"));
                Err(SendError::Closed)
            }
        }
    }

    /// Closes with `frame` unless closed already: sends it (within the send timeout) and waits
    /// for the client's close frame (within the send timeout again).
    pub(crate) async fn close(&mut self, frame: CloseFrame) {
        if self.closed.is_some() {
            return;
        }
        self.closed = Some(frame.clone());
        let sent = timeout(
            self.config.send_timeout,
            self.stream.close(Some(frame.into_protocol())),
        )
        .await;
        if matches!(sent, Ok(Ok(()))) {
            // Read until tungstenite has the client's answer; a data frame meanwhile is dropped.
            let _ = timeout(self.config.send_timeout, async {
                while let Some(Ok(_)) = self.stream.next().await {}
            })
            .await;
        }
    }

    /// After the client's close frame: sends tungstenite's queued answer and ends.
    async fn finish(&mut self) {
        // The sink's `close`: sending a close frame after the client's is refused.
        let _ = timeout(
            self.config.send_timeout,
            futures_util::SinkExt::close(&mut self.stream),
        )
        .await;
    }

    /// Fails the connection after a protocol error (RFC 6455, section 7.1.7): a close frame
    /// with the error's code, then the connection ends without reading the rest.
    async fn fail(&mut self, error: &ProtocolError) {
        let Some(code) = close_code(error) else {
            self.closed = Some(CloseFrame::new(code::ABNORMAL, "connection dropped"));
            return;
        };
        let reason = match error {
            ProtocolError::Capacity(_) => "message too big".to_owned(),
            ProtocolError::Utf8(_) => "text is not valid UTF-8".to_owned(),
            other => other.to_string(),
        };
        self.closed = Some(CloseFrame::new(code, reason.clone()));
        let frame = CloseFrame::new(code, reason).into_protocol();
        let send_timeout = self.config.send_timeout;
        if timeout(send_timeout, self.stream.close(Some(frame)))
            .await
            .is_err()
        {
            return;
        }
        // The frames after the bad one are not read as frames; but unread bytes would make the
        // kernel answer with a reset that could overtake the close frame. So: end our side,
        // and read and drop what the client still sends until it closes, for a moment (a
        // lingering close, as HTTP servers do for an unread body).
        let io = self.stream.get_mut();
        let _ = timeout(LINGER, async {
            let _ = io.shutdown().await;
            let mut sink = [0; 4096];
            while matches!(io.read(&mut sink).await, Ok(read) if read > 0) {}
        })
        .await;
    }
}

/// The next message, or `None` if the idle deadline passed first.
async fn next_frame(
    stream: &mut Stream,
    idle_deadline: Option<Instant>,
) -> Option<Option<Result<tungstenite::Message, ProtocolError>>> {
    match idle_deadline {
        Some(deadline) => timeout_at(deadline, stream.next()).await.ok(),
        None => Some(stream.next().await),
    }
}

/// The close code for a protocol error; `None` for a connection that is gone (nothing to
/// send a close frame on).
fn close_code(error: &ProtocolError) -> Option<u16> {
    match error {
        ProtocolError::Capacity(_) => Some(code::TOO_BIG),
        ProtocolError::Utf8(_) => Some(code::INVALID_PAYLOAD),
        ProtocolError::Protocol(
            tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
        ) => None,
        ProtocolError::Protocol(_) | ProtocolError::AttackAttempt => Some(code::PROTOCOL_ERROR),
        _ => None,
    }
}
