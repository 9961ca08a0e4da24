//! An in-process client for tests: requests go straight to the app, with no socket.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{Mutex, watch};

use crate::app::{App, Shared};
use crate::body::Body;
use crate::extract::PeerAddr;
use crate::lifespan::{Lifecycle, LifespanHandle, LifespanState, StartupError};
use crate::service;

mod websocket;

pub use websocket::TestWebSocket;

/// Sends requests to an app in-process. Made by [`App::test_client`]; clones share the app
/// and its lifespan.
///
/// The app's startup hooks run on the first request, or on [`TestClient::start`]; its
/// shutdown hooks on [`TestClient::shutdown`]. Dropping the client runs no hooks.
#[derive(Debug, Clone)]
pub struct TestClient {
    app: Shared,
    lifespan: Arc<ClientLifespan>,
}

/// The lifespan of the app behind a test client.
#[derive(Debug)]
struct ClientLifespan {
    lifecycle: Mutex<Lifecycle>,
    handle: LifespanHandle,
    /// How startup ended, once it has run.
    started: OnceLock<Result<(), StartupError>>,
    /// Each request in flight holds a receiver, so `closed()` completes when none is: the
    /// test client's drain, as the server counts its connections.
    in_flight: watch::Sender<()>,
}

impl App {
    /// A client that sends requests to this app without a socket.
    ///
    /// Startup hooks run on the first request (or [`TestClient::start`]), shutdown hooks on
    /// [`TestClient::shutdown`].
    ///
    /// # Panics
    ///
    /// If the app has errors (conflicting routes, missing state, ...): a test should fail then.
    pub fn test_client(mut self) -> TestClient {
        let lifecycle = self.take_lifecycle();
        let handle = lifecycle.handle().clone();
        match self.build() {
            Ok(app) => TestClient {
                app,
                lifespan: Arc::new(ClientLifespan {
                    lifecycle: Mutex::new(lifecycle),
                    handle,
                    started: OnceLock::new(),
                    in_flight: watch::Sender::new(()),
                }),
            },
            Err(errors) => panic!("{errors}"),
        }
    }
}

macro_rules! method_shortcuts {
    ($($name:ident => $method:ident),*) => {
        $(
            #[doc = concat!("A `", stringify!($method), "` request to `path` (which may include a query string).")]
            pub fn $name(&self, path: &str) -> TestRequest {
                self.request(Method::$method, path)
            }
        )*
    };
}

impl TestClient {
    /// The peer address requests come from unless [`TestRequest::peer_addr`] says otherwise:
    /// `127.0.0.1:0`, a loopback client on no real port.
    pub const PEER_ADDR: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0));

    /// Runs the app's startup hooks, unless they have run: the first request does it too,
    /// but a test of a failing hook calls this to get the error.
    ///
    /// ```
    /// use oxapi::App;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = App::new()
    ///     .on_startup(|| async { Err::<(), _>("no database") })
    ///     .test_client();
    /// let error = client.start().await.unwrap_err();
    /// assert!(error.to_string().starts_with("startup hook #1"));
    /// assert_eq!(std::error::Error::source(&error).unwrap().to_string(), "no database");
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// The first failing hook's error; every later call returns it again.
    pub async fn start(&self) -> Result<(), StartupError> {
        if let Some(outcome) = self.lifespan.started.get() {
            return outcome.clone();
        }
        let mut lifecycle = self.lifespan.lifecycle.lock().await;
        // Another request may have started the app while this one waited for the lock.
        if let Some(outcome) = self.lifespan.started.get() {
            return outcome.clone();
        }
        let outcome = lifecycle.start().await;
        self.lifespan.started.get_or_init(|| outcome).clone()
    }

    /// Shuts the app down as the server would: `Draining`; requests in flight finish (within
    /// the grace period); background tasks finish; the shutdown hooks run, in reverse order;
    /// `Stopped`. Runs the hooks once however often it is called. A client that never started
    /// (no request, no [`TestClient::start`]) has nothing to undo: it just stops.
    ///
    /// After this, sending a request panics.
    pub async fn shutdown(&self) {
        let mut lifecycle = self.lifespan.lifecycle.lock().await;
        lifecycle.begin_draining();
        if let Some(deadline) = self.lifespan.handle.drain_deadline() {
            let drained = self.lifespan.in_flight.closed();
            if tokio::time::timeout_at(deadline, drained).await.is_err() {
                tracing::warn!("shutdown grace period over; test requests still in flight");
            }
        }
        lifecycle.stop().await;
    }

    /// The handle to the app's lifespan, as [`App::lifespan_handle`] gives.
    pub fn lifespan_handle(&self) -> LifespanHandle {
        self.lifespan.handle.clone()
    }

    /// Starts the app if it has not started, and counts a request in flight until the guard
    /// is dropped.
    async fn begin_request(&self) -> watch::Receiver<()> {
        if let Err(error) = self.start().await {
            panic!("the app did not start: {error}: {}", source_text(&error));
        }
        if self.lifespan.handle.state() == LifespanState::Stopped {
            panic!("the app was shut down (`TestClient::shutdown`); make a new test client");
        }
        self.lifespan.in_flight.subscribe()
    }

    /// A request with any method.
    pub fn request(&self, method: Method, path: &str) -> TestRequest {
        TestRequest {
            client: self.clone(),
            method,
            path: path.to_owned(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            peer: Self::PEER_ADDR,
            error: None,
        }
    }

    /// Opens a WebSocket to `path` in-process, as Starlette's `websocket_connect` does;
    /// [`TestRequest::websocket`] adds headers or sees a refusal.
    ///
    /// ```
    /// use oxapi::prelude::*;
    /// use oxapi::ws::WebSocket;
    ///
    /// #[websocket("/ws/{room}")]
    /// async fn hello(room: String, mut socket: WebSocket) {
    ///     let _ = socket.send_message(format!("welcome to {room}")).await;
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = App::new().routes(routes![hello]).test_client();
    /// let mut socket = client.websocket("/ws/lobby").await;
    /// let message = socket.recv().await.unwrap();
    /// assert_eq!(message.as_bytes(), b"welcome to lobby");
    /// assert_eq!(socket.close().await.code, 1000);
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// If the app refuses the WebSocket (the panic shows its response), as `send` does.
    pub async fn websocket(&self, path: &str) -> TestWebSocket {
        match self.get(path).websocket().await {
            Ok(socket) => socket,
            Err(response) => panic!(
                "test WebSocket {path}: refused with {}: {}",
                response.status(),
                String::from_utf8_lossy(&response.body)
            ),
        }
    }

    method_shortcuts!(get => GET, post => POST, put => PUT, patch => PATCH, delete => DELETE, head => HEAD, options => OPTIONS);
}

/// A request being built; send it with [`TestRequest::send`].
#[derive(Debug)]
#[must_use = "a request does nothing until `.send().await`"]
pub struct TestRequest {
    client: TestClient,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
    peer: SocketAddr,
    error: Option<String>,
}

impl TestRequest {
    /// Sends the request as if from `peer` ([`PeerAddr`]), for instance a proxy's address to
    /// test [`App::forwarded_allow_ips`]. Default: [`TestClient::PEER_ADDR`].
    pub fn peer_addr(mut self, peer: SocketAddr) -> Self {
        self.peer = peer;
        self
    }

    /// Appends `query`, serialized as a query string.
    pub fn query<T: Serialize + ?Sized>(mut self, query: &T) -> Self {
        match serde_html_form::to_string(query) {
            Ok(encoded) if !encoded.is_empty() => {
                self.path
                    .push(if self.path.contains('?') { '&' } else { '?' });
                self.path.push_str(&encoded);
            }
            Ok(_) => {}
            Err(error) => self.error = Some(format!("query does not serialize: {error}")),
        }
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            (Ok(name), Ok(value)) => {
                self.headers.append(name, value);
            }
            _ => self.error = Some(format!("invalid header `{name}: {value}`")),
        }
        self
    }

    /// Sends `value` as JSON, with `Content-Type: application/json`.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => {
                self.body = body.into();
                self.set_content_type("application/json");
            }
            Err(error) => self.error = Some(format!("body does not serialize: {error}")),
        }
        self
    }

    /// Sends `value` as a URL-encoded form.
    pub fn form<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_html_form::to_string(value) {
            Ok(body) => {
                self.body = body.into();
                self.set_content_type("application/x-www-form-urlencoded");
            }
            Err(error) => self.error = Some(format!("form does not serialize: {error}")),
        }
        self
    }

    /// Sends these bytes as the body, with no `Content-Type` unless one is set.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    fn set_content_type(&mut self, value: &'static str) {
        self.headers
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
    }

    /// Sends the request and reads the whole response. The first request runs the app's
    /// startup hooks.
    ///
    /// # Panics
    ///
    /// If the request could not be built (an invalid header or path, a value that does not
    /// serialize): a mistake in the test. If a startup hook failed, or the client was shut
    /// down.
    pub async fn send(self) -> TestResponse {
        if let Some(error) = self.error {
            panic!("test request {} {}: {error}", self.method, self.path);
        }
        let _in_flight = self.client.begin_request().await;
        let mut builder = http::Request::builder()
            .method(self.method.clone())
            .uri(self.path.as_str());
        if let Some(headers) = builder.headers_mut() {
            *headers = self.headers;
            if !self.body.is_empty() {
                headers.insert(header::CONTENT_LENGTH, HeaderValue::from(self.body.len()));
            }
        }
        let mut request = match builder.body(Body::full(self.body)) {
            Ok(request) => request,
            Err(error) => panic!("test request {} {}: {error}", self.method, self.path),
        };
        // As the server does: only for an app that reads it, so a test fails as production
        // would when an extractor reads the peer without declaring it.
        if self.client.app.needs_peer {
            request.extensions_mut().insert(PeerAddr(self.peer));
        }
        let response = match service::call(&self.client.app, request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) => panic!("response body failed: {error}"),
        };
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}

/// The hook's own error, for a panic message that must say everything at once.
fn source_text(error: &StartupError) -> String {
    std::error::Error::source(error).map_or_else(String::new, ToString::to_string)
}

/// A response read whole.
#[derive(Debug, Clone)]
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl TestResponse {
    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// One header's value as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The body.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    ///
    /// # Panics
    ///
    /// If the body is not JSON of type `T`; the message shows the body.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        match serde_json::from_slice(&self.body) {
            Ok(value) => value,
            Err(error) => panic!(
                "response body is not the expected JSON ({error}): {}",
                self.text()
            ),
        }
    }
}
