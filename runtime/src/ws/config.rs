//! An app's WebSocket limits.

use std::time::Duration;

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig as ProtocolConfig;

/// The limits of an app's WebSockets, set with
/// [`App::websocket_config`](crate::App::websocket_config); every WebSocket route of the app
/// uses them.
///
/// | limit | default | when it is passed |
/// |---|---|---|
/// | [`max_message_size`](Self::max_message_size) | 64 KiB | close `1009` (message too big) |
/// | [`max_frame_size`](Self::max_frame_size) | 64 KiB | close `1009` (message too big) |
/// | [`idle_timeout`](Self::idle_timeout) | 60 s | close `1001` with reason `idle timeout` |
/// | [`send_timeout`](Self::send_timeout) | 10 s | connection dropped; `send` returns [`SendError::Closed`](crate::ws::SendError::Closed) |
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use oxapi::ws::WebSocketConfig;
///
/// let config = WebSocketConfig::default()
///     .max_message_size(1 << 20)
///     .idle_timeout(Some(Duration::from_secs(300)));
/// let app = oxapi::App::new().websocket_config(config);
/// # drop(app);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSocketConfig {
    pub(crate) max_message_size: usize,
    pub(crate) max_frame_size: usize,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) send_timeout: Duration,
}

/// The default largest message and frame: 64 KiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 64 * 1024;

impl Default for WebSocketConfig {
    fn default() -> Self {
        Self {
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            max_frame_size: DEFAULT_MAX_MESSAGE_SIZE,
            idle_timeout: Some(Duration::from_secs(60)),
            send_timeout: Duration::from_secs(10),
        }
    }
}

impl WebSocketConfig {
    /// The largest message a client may send, in bytes, after its fragments are joined
    /// (default 64 KiB). A larger one closes the connection with `1009`.
    #[must_use]
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// The largest single frame a client may send, in bytes (default 64 KiB). A larger one
    /// closes the connection with `1009`, before its payload is read.
    #[must_use]
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// How long a connection may go without receiving a frame (data, ping or pong) while the
    /// handler waits for one (default 60 s); then the server closes it with `1001` and the
    /// reason `idle timeout`. `None` keeps idle connections open.
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// How long writing one message to the client may take (default 10 s). A client that
    /// stops reading fills its socket; when a write cannot finish in time, the connection is
    /// dropped, so the server never buffers without bound for it.
    #[must_use]
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.send_timeout = timeout;
        self
    }

    /// The protocol's own settings: the size limits, and the read size. Its write buffer holds
    /// only what a send has not yet written, since each send is flushed and waited for (up to
    /// the send timeout) before the handler can send again: a client that does not read holds
    /// at most one message in the server.
    pub(crate) fn protocol(&self) -> ProtocolConfig {
        ProtocolConfig::default()
            .max_message_size(Some(self.max_message_size))
            .max_frame_size(Some(self.max_frame_size))
            .read_buffer_size(READ_SIZE)
    }
}

/// How much one read from the socket takes at most. tungstenite allocates its read buffer
/// at this size for each connection and zero-fills the free part before every read, so its
/// default (128 KiB) costs every idle WebSocket 128 KiB of memory and every read a 128 KiB
/// fill (`python3 bench/run.py realtime`: 137 KB per idle WebSocket in axum, whose sockets
/// keep that default). A frame larger than this is still read whole: the buffer grows to the
/// frame's length once its header is read, within `max_frame_size`.
const READ_SIZE: usize = 8 * 1024;

// A frame header is at most 14 bytes; a chat message or a game move fits in one read.
const _: () = assert!(READ_SIZE >= 14 + 1024);

#[cfg(test)]
mod tests {
    #[test]
    fn the_protocol_reads_at_most_the_read_size() {
        assert_eq!(
            super::WebSocketConfig::default()
                .protocol()
                .read_buffer_size,
            super::READ_SIZE
        );
    }
}
