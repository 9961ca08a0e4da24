//! The test client's WebSockets: an in-process HTTP/1.1 connection (a duplex pipe, no socket)
//! served as the server serves one, with tokio-tungstenite as the client.

use std::fmt;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::DuplexStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest as _};

use super::{TestRequest, TestResponse};
use crate::server;
use crate::ws::{CloseFrame, Message};

/// How much the in-process pipe holds each way, as a socket's buffer would.
const PIPE_CAPACITY: usize = 64 * 1024;

/// How long the test client waits for the app before it calls the test hung.
const HANG_GUARD: Duration = Duration::from_secs(30);

impl TestRequest {
    /// Opens a WebSocket with this request's path, query and headers (in-process, over
    /// HTTP/1.1, as a browser would): the socket if the app answered `101`, else its response
    /// (a rejecting extractor's `401`, a `426`, ...).
    ///
    /// # Errors
    ///
    /// The app's response when it did not answer `101`.
    ///
    /// # Panics
    ///
    /// As [`send`](Self::send) does; and if the app does not answer the handshake.
    pub async fn websocket(self) -> Result<TestWebSocket, TestResponse> {
        if let Some(error) = self.error {
            panic!("test WebSocket {}: {error}", self.path);
        }
        let in_flight = self.client.begin_request().await;
        let mut request = match format!("ws://oxapi.test{}", self.path).into_client_request() {
            Ok(request) => request,
            Err(error) => panic!("test WebSocket {}: {error}", self.path),
        };
        request.headers_mut().extend(self.headers);
        let (client, server) = tokio::io::duplex(PIPE_CAPACITY);
        tokio::spawn(server::serve_http1(
            self.client.app.clone(),
            TokioIo::new(server),
            self.peer,
        ));
        let handshake = tokio_tungstenite::client_async(request, client);
        let Ok(outcome) = tokio::time::timeout(HANG_GUARD, handshake).await else {
            panic!("test WebSocket {}: no answer to the handshake", self.path);
        };
        // The socket's task is the app's lifespan's to wait for now, as the server's are.
        drop(in_flight);
        match outcome {
            Ok((stream, _)) => Ok(TestWebSocket {
                stream,
                close_frame: None,
            }),
            Err(tungstenite::Error::Http(response)) => {
                let (parts, body) = response.into_parts();
                Err(TestResponse {
                    status: parts.status,
                    headers: parts.headers,
                    body: body.unwrap_or_default().into(),
                })
            }
            Err(error) => panic!("test WebSocket {}: {error}", self.path),
        }
    }
}

/// A WebSocket open to the app in-process, from [`TestClient::websocket`] or
/// [`TestRequest::websocket`]. Pings are answered for it. A method that waits for the app
/// panics after 30 s rather than hang the test.
///
/// [`TestClient::websocket`]: super::TestClient::websocket
pub struct TestWebSocket {
    stream: WebSocketStream<DuplexStream>,
    close_frame: Option<CloseFrame>,
}

impl fmt::Debug for TestWebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestWebSocket")
            .field("close_frame", &self.close_frame)
            .finish_non_exhaustive()
    }
}

impl TestWebSocket {
    /// Sends a text or binary message.
    ///
    /// # Panics
    ///
    /// If the connection is closed, or the app does not take the message.
    pub async fn send(&mut self, message: impl Into<Message>) {
        let sent = self.stream.send(message.into().into_protocol());
        match tokio::time::timeout(HANG_GUARD, sent).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => panic!("test WebSocket: send failed: {error}"),
            Err(_) => panic!("test WebSocket: the app does not read"),
        }
    }

    /// Sends `value` as a text message of its JSON.
    ///
    /// # Panics
    ///
    /// If it does not serialize, or as [`send`](Self::send).
    pub async fn send_json<T: Serialize + ?Sized>(&mut self, value: &T) {
        match serde_json::to_string(value) {
            Ok(json) => self.send(json).await,
            Err(error) => panic!("test WebSocket: the message does not serialize: {error}"),
        }
    }

    /// The next text or binary message; `None` once the app closed the connection
    /// ([`close_frame`](Self::close_frame) then says how).
    ///
    /// # Panics
    ///
    /// If nothing comes for 30 s.
    pub async fn recv(&mut self) -> Option<Message> {
        loop {
            let Ok(next) = tokio::time::timeout(HANG_GUARD, self.stream.next()).await else {
                panic!("test WebSocket: nothing from the app");
            };
            match next {
                Some(Ok(tungstenite::Message::Close(frame))) => {
                    self.close_frame = Some(CloseFrame::from_protocol(frame.as_ref()));
                    // Reading on answers the close frame and meets the end.
                    while let Ok(Some(Ok(_))) =
                        tokio::time::timeout(HANG_GUARD, self.stream.next()).await
                    {
                    }
                    return None;
                }
                Some(Ok(message)) => {
                    if let Some(message) = Message::from_protocol(message) {
                        return Some(message);
                    }
                }
                Some(Err(_)) | None => {
                    self.close_frame
                        .get_or_insert_with(|| CloseFrame::new(1006, "connection dropped"));
                    return None;
                }
            }
        }
    }

    /// The next message, read as the JSON of `T`.
    ///
    /// # Panics
    ///
    /// If the connection closes first, or the message is not `T`'s JSON.
    pub async fn recv_json<T: DeserializeOwned>(&mut self) -> T {
        let Some(message) = self.recv().await else {
            panic!(
                "test WebSocket: closed ({:?}) before a message",
                self.close_frame
            );
        };
        match serde_json::from_slice(message.as_bytes()) {
            Ok(value) => value,
            Err(error) => panic!("test WebSocket: {message:?} is not the JSON expected: {error}"),
        }
    }

    /// The app's close frame, once the connection has closed.
    pub fn close_frame(&self) -> Option<&CloseFrame> {
        self.close_frame.as_ref()
    }

    /// Closes with `1000` unless the app has closed, and returns the app's close frame
    /// (`1006` if it dropped the connection without one).
    pub async fn close(mut self) -> CloseFrame {
        if self.close_frame.is_none() {
            let frame = CloseFrame::new(1000, "").into_protocol();
            let _ = tokio::time::timeout(HANG_GUARD, self.stream.close(Some(frame))).await;
            while self.recv().await.is_some() {}
        }
        self.close_frame
            .unwrap_or_else(|| CloseFrame::new(1006, "connection dropped"))
    }
}
