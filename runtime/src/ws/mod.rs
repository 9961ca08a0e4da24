//! WebSockets (RFC 6455): the socket a [`#[websocket]`](crate::websocket) handler receives,
//! its messages and close frames, and the app's limits ([`WebSocketConfig`]).
//!
//! A `#[websocket("/ws/{room}")]` route extracts its parameters as any route does (so an
//! extractor that rejects answers with a normal HTTP error, before any upgrade), checks the
//! opening handshake (a 426 problem otherwise, [`HandshakeRejection`]), answers `101 Switching
//! Protocols`, and then runs the handler on its own task with a [`WebSocket`]. The protocol is
//! tokio-tungstenite's, on hyper's upgrade.

// config: the limits · handshake: the request checked, the 101 · message: what is sent and
// received, typed or raw · socket: recv/send/close and the close codes the server sends on its
// own · upgrade: from the checked request to the connection's task, tracked by the lifespan.
mod config;
mod handshake;
mod message;
mod socket;
mod upgrade;

pub use config::{DEFAULT_MAX_MESSAGE_SIZE, WebSocketConfig};
pub use handshake::HandshakeRejection;
pub use message::{
    CloseFrame, FromMessage, IntoMessage, Message, RawMessage, RecvError, SendError, ViaJson,
    ViaRaw,
};
pub use socket::WebSocket;
pub use upgrade::{HandlerOutcome, Socket, WebSocketUpgrade};
