//! WebSockets (RFC 6455) on hyper's upgrade, with tokio-tungstenite speaking the protocol.
//!
//! A `#[websocket("/ws/{room}")]` route extracts its parameters as any route does (so an
//! extractor that rejects answers with a normal HTTP error, before any upgrade), checks the
//! opening handshake ([`handshake`]: a 426 problem otherwise), answers `101 Switching
//! Protocols`, and then runs the handler on its own task with a [`WebSocket`] ([`upgrade`]).
//!
//! - [`config`]: the app's limits (message and frame size, idle and send timeouts).
//! - [`message`]: what a handler receives and sends, typed or raw, and the errors.
//! - [`socket`]: the socket itself: `recv`, `send`, `close`, and every close code the server
//!   sends on its own (1001 shutdown and idle, 1007, 1009, 1002, 1011).
//! - [`upgrade`]: from the checked request to the connection task, tracked by the lifespan.

mod config;
mod handshake;
mod message;
mod socket;
mod upgrade;

pub use config::{DEFAULT_MAX_MESSAGE_SIZE, WebSocketConfig};
pub use handshake::HandshakeRejection;
pub use message::{CloseFrame, FromMessage, IntoMessage, Message, RecvError, SendError};
pub use socket::WebSocket;
pub use upgrade::{HandlerOutcome, Socket, WebSocketUpgrade};
