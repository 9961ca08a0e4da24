//! What a WebSocket handler receives and sends: frames, typed messages, close frames, errors.

use std::fmt;

use bytes::Bytes;
use oxapi_openapi::OperationDoc;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_tungstenite::tungstenite;

/// A data message: text (valid UTF-8, checked on receipt) or binary. Pings, pongs and the
/// close handshake are answered by the server itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Bytes),
}

impl Message {
    /// The payload's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Text(text) => text.as_bytes(),
            Self::Binary(bytes) => bytes,
        }
    }

    /// A received text or binary message; `None` for control frames.
    pub(crate) fn from_protocol(message: tungstenite::Message) -> Option<Self> {
        match message {
            tungstenite::Message::Text(text) => Some(Self::Text(text.as_str().to_owned())),
            tungstenite::Message::Binary(bytes) => Some(Self::Binary(bytes)),
            _ => None,
        }
    }

    pub(crate) fn into_protocol(self) -> tungstenite::Message {
        match self {
            Self::Text(text) => tungstenite::Message::text(text),
            Self::Binary(bytes) => tungstenite::Message::Binary(bytes),
        }
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<Bytes> for Message {
    fn from(bytes: Bytes) -> Self {
        Self::Binary(bytes)
    }
}

/// The close frame that ended a connection: its status code (RFC 6455, section 7.4) and
/// reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// The status code: `1000` normal, `1001` going away (shutdown, idle timeout), `1002`
    /// protocol error, `1003` unsupported data, `1007` invalid payload (bad UTF-8 or JSON),
    /// `1008` policy violation, `1009` message too big, `1011` server error, `1006` no close
    /// frame (the connection was dropped).
    pub code: u16,
    /// Why, for people; at most 123 bytes on the wire.
    pub reason: String,
}

impl CloseFrame {
    /// A close frame with `code` and `reason`.
    pub fn new(code: u16, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }

    pub(crate) fn into_protocol(self) -> tungstenite::protocol::CloseFrame {
        // A close frame's payload is at most 125 bytes: the code, then the reason, cut at a
        // character boundary.
        let mut end = self.reason.len().min(123);
        while !self.reason.is_char_boundary(end) {
            end -= 1;
        }
        tungstenite::protocol::CloseFrame {
            code: self.code.into(),
            reason: self.reason[..end].to_owned().into(),
        }
    }

    pub(crate) fn from_protocol(frame: Option<&tungstenite::protocol::CloseFrame>) -> Self {
        match frame {
            Some(frame) => Self::new(frame.code.into(), frame.reason.as_str()),
            // RFC 6455, section 7.1.5: a close frame without a code reads as 1005.
            None => Self::new(1005, ""),
        }
    }
}

/// Why [`WebSocket::recv`](crate::ws::WebSocket::recv) returned an error.
#[derive(Debug)]
#[non_exhaustive]
pub enum RecvError {
    /// A message was not the JSON of the handler's message type. The connection is closed
    /// with `1007` and this text as the reason.
    InvalidMessage(String),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidMessage(detail) => write!(f, "invalid message: {detail}"),
        }
    }
}

impl std::error::Error for RecvError {}

/// Why [`WebSocket::send`](crate::ws::WebSocket::send) failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum SendError {
    /// The connection is closed: by the client, by shutdown, by a limit, or because a write
    /// did not finish within the send timeout. [`WebSocket::close_frame`] says how.
    ///
    /// [`WebSocket::close_frame`]: crate::ws::WebSocket::close_frame
    Closed,
    /// The message did not serialize to JSON.
    Encode(serde_json::Error),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed => f.write_str("the WebSocket is closed"),
            Self::Encode(_) => f.write_str("the message did not serialize to JSON"),
        }
    }
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Closed => None,
            Self::Encode(error) => Some(error),
        }
    }
}

/// Selects the [`FromMessage`] and [`IntoMessage`] impls of [`Message`]: frames as they
/// come. Never constructed.
#[derive(Debug)]
pub enum ViaRaw {}

/// Selects the [`FromMessage`] and [`IntoMessage`] impls of `#[model]` types: the JSON of a
/// message. Never constructed.
#[derive(Debug)]
pub enum ViaJson {}

/// A message type a WebSocket handler receives: [`Message`] for frames as they come, or any
/// `#[model]` type, read from the JSON of a text or binary message.
///
/// `Via` ([`ViaRaw`] or [`ViaJson`]) is inferred: it lets a type that is neither get this
/// trait's message rather than one for each bound of the JSON impl.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a WebSocket's incoming message",
    label = "not a message type",
    note = "use `oxapi::ws::Message` for raw frames, or a type with `#[model]` (JSON messages)"
)]
pub trait FromMessage<Via>: Sized + Send + 'static {
    /// Reads a received message.
    ///
    /// # Errors
    ///
    /// A message that is not this type's JSON: the text says why.
    fn from_message(message: Message) -> Result<Self, String>;

    /// The message's schema, for the operation's `x-websocket`; `None` for any frame.
    fn schema(op: &mut OperationDoc<'_>) -> Option<Value>;
}

/// A message type a WebSocket handler sends: [`Message`], or any `#[model]` type, sent as a
/// text message of its JSON. `Via` is inferred, as for [`FromMessage`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a WebSocket's outgoing message",
    label = "not a message type",
    note = "use `oxapi::ws::Message` for raw frames, or a type with `#[model]` (JSON messages)"
)]
pub trait IntoMessage<Via>: Send + Sync + 'static {
    /// Makes the message to send.
    ///
    /// # Errors
    ///
    /// A value that does not serialize to JSON.
    fn to_message(&self) -> Result<Message, serde_json::Error>;

    /// The message's schema, for the operation's `x-websocket`; `None` for any frame.
    fn schema(op: &mut OperationDoc<'_>) -> Option<Value>;
}

/// A message taken as it comes, with no schema: [`Message`].
///
/// The raw impls of [`FromMessage`] and [`IntoMessage`] go through this trait, so that both of
/// their impls are generic, as the JSON ones are: a type that is neither then gets those
/// traits' own error, not one for each bound of the JSON impl.
pub trait RawMessage: Clone + Send + Sync + 'static {
    /// The message as received.
    fn from_raw(message: Message) -> Self;

    /// The message to send.
    fn to_raw(&self) -> Message;
}

impl RawMessage for Message {
    fn from_raw(message: Message) -> Self {
        message
    }

    fn to_raw(&self) -> Message {
        self.clone()
    }
}

impl<T: RawMessage> FromMessage<ViaRaw> for T {
    fn from_message(message: Message) -> Result<Self, String> {
        Ok(T::from_raw(message))
    }

    fn schema(_: &mut OperationDoc<'_>) -> Option<Value> {
        None
    }
}

impl<T: RawMessage> IntoMessage<ViaRaw> for T {
    fn to_message(&self) -> Result<Message, serde_json::Error> {
        Ok(self.to_raw())
    }

    fn schema(_: &mut OperationDoc<'_>) -> Option<Value> {
        None
    }
}

impl<T: DeserializeOwned + schemars::JsonSchema + Send + 'static> FromMessage<ViaJson> for T {
    fn from_message(message: Message) -> Result<Self, String> {
        serde_json::from_slice(message.as_bytes()).map_err(|error| error.to_string())
    }

    fn schema(op: &mut OperationDoc<'_>) -> Option<Value> {
        Some(op.generator().subschema_for::<T>().to_value())
    }
}

impl<T: Serialize + schemars::JsonSchema + Send + Sync + 'static> IntoMessage<ViaJson> for T {
    fn to_message(&self) -> Result<Message, serde_json::Error> {
        serde_json::to_string(self).map(Message::Text)
    }

    fn schema(op: &mut OperationDoc<'_>) -> Option<Value> {
        Some(op.generator().subschema_for::<T>().to_value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_reason_is_cut_at_a_character_boundary() {
        let frame = CloseFrame::new(1000, "é".repeat(100)).into_protocol();
        assert!(frame.reason.len() <= 123);
        assert_eq!(frame.reason.len() % 2, 0);
    }

    #[test]
    fn json_messages_read_text_and_binary() {
        let text: Vec<u8> = FromMessage::<ViaJson>::from_message(Message::from("[1,2]")).unwrap();
        assert_eq!(text, [1, 2]);
        let binary: Vec<u8> =
            FromMessage::<ViaJson>::from_message(Message::from(Bytes::from_static(b"[3]")))
                .unwrap();
        assert_eq!(binary, [3]);
        let error =
            <Vec<u8> as FromMessage<ViaJson>>::from_message(Message::from("[1,")).unwrap_err();
        assert!(error.contains("EOF"), "{error}");
    }
}
