//! Helpers for oxapi's end-to-end tests: a server on a real socket, HTTP/1.1 and HTTP/2
//! clients, and raw-byte requests for input no client library would send.

pub mod bad_input;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::{HttpConnector, HttpInfo};
use hyper_util::rt::TokioExecutor;
use oxapi::App;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// An app served on 127.0.0.1 on a free port, for the life of a test.
///
/// Port 0 lets the kernel choose, so tests run in parallel without clashing.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Server {
    /// Serves `app` on a fresh port of 127.0.0.1.
    pub async fn start(app: App) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(error) = app.serve_with_shutdown(listener, shutdown).await {
                panic!("server failed: {error}");
            }
        });
        Self {
            addr,
            stop: Some(stop),
            task,
        }
    }

    /// Serves `app` on a fresh port of 127.0.0.1 from an event loop of its own: one
    /// current-thread runtime on one dedicated thread.
    ///
    /// Every request's handler then shares that single thread, so a request can be served
    /// while another's handler is pending only if that handler truly awaits. The test's own
    /// runtime (its clients and timeouts) runs elsewhere: a handler that blocks the server's
    /// thread makes the test fail on a timeout instead of hanging it.
    pub async fn start_on_one_thread(app: App) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let (stop, stopped) = oneshot::channel::<()>();
        let (finished, done) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("test-event-loop".to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("current-thread runtime");
                runtime.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                    let shutdown = async {
                        let _ = stopped.await;
                    };
                    if let Err(error) = app.serve_with_shutdown(listener, shutdown).await {
                        panic!("server failed: {error}");
                    }
                });
                let _ = finished.send(());
            })
            .expect("spawn the server thread");
        let task = tokio::spawn(async move {
            done.await.expect("the server thread panicked");
        });
        Self {
            addr,
            stop: Some(stop),
            task,
        }
    }

    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let task = std::mem::replace(&mut self.task, tokio::spawn(async {}));
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("server stops within 10 s")
            .expect("server task");
    }
}

/// Which HTTP version a [`Client`] speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// HTTP/1.1.
    Http1,
    /// HTTP/2 over cleartext with prior knowledge (h2c).
    Http2,
}

/// Both versions, for tests that must hold on each.
pub const VERSIONS: [Version; 2] = [Version::Http1, Version::Http2];

/// An HTTP client for one server and one HTTP version.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    inner: HyperClient<HttpConnector, Full<Bytes>>,
    version: Version,
}

/// A response read whole.
#[derive(Debug)]
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
    /// The HTTP version the server answered with.
    pub version: http::Version,
    /// The client's end of the connection the response came on.
    pub local_addr: Option<SocketAddr>,
}

impl Reply {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text()))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the response is problem details with `status`, and returns them.
    pub fn problem(&self, status: u16) -> serde_json::Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text());
        assert_eq!(
            self.header("content-type"),
            Some(oxapi::PROBLEM_JSON),
            "body: {}",
            self.text()
        );
        let problem = self.json();
        assert_eq!(problem["status"], status);
        assert!(problem["title"].is_string());
        assert!(problem["type"].is_string());
        problem
    }
}

impl Client {
    /// A client for `server` speaking `version`.
    pub fn new(server: &Server, version: Version) -> Self {
        let mut builder = HyperClient::builder(TokioExecutor::new());
        if version == Version::Http2 {
            builder.http2_only(true);
        }
        Self {
            base: format!("http://{}", server.addr()),
            inner: builder.build_http(),
            version,
        }
    }

    /// The version this client speaks.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Sends a request and reads the whole response.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(body.into())).expect("valid request");
        let response = tokio::time::timeout(Duration::from_secs(20), self.inner.request(request))
            .await
            .expect("response within 20 s")
            .expect("request succeeds");
        let version = response.version();
        // The connector records both ends of the connection in the response's extensions.
        let local_addr = response
            .extensions()
            .get::<HttpInfo>()
            .map(HttpInfo::local_addr);
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        let expected = match self.version {
            Version::Http1 => http::Version::HTTP_11,
            Version::Http2 => http::Version::HTTP_2,
        };
        assert_eq!(version, expected, "server answered in the client's version");
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
            version,
            local_addr,
        }
    }

    /// `GET path` with `headers`, returning once the response's head has come: its body is
    /// read frame by frame, as a streaming client does (or dropped, as a client that leaves).
    pub async fn open(&self, path: &str, headers: &[(&str, &str)]) -> Streamed {
        let mut request = Request::builder().uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(Bytes::new()))
            .expect("valid request");
        let response = tokio::time::timeout(Duration::from_secs(20), self.inner.request(request))
            .await
            .expect("response head within 20 s")
            .expect("request succeeds");
        Streamed { response }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, &[], Bytes::new()).await
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, json: &str) -> Reply {
        self.send(
            Method::POST,
            path,
            &[("content-type", "application/json")],
            json.to_owned(),
        )
        .await
    }
}

/// A response whose body is read as it comes ([`Client::open`]).
#[derive(Debug)]
pub struct Streamed {
    /// The response, its body unread.
    pub response: http::Response<hyper::body::Incoming>,
}

impl Streamed {
    /// The next chunk of data, or `None` at the end of the body. Waits at most 20 s.
    pub async fn chunk(&mut self) -> Option<Bytes> {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(20), self.response.frame())
                .await
                .expect("a frame within 20 s")?
                .expect("the body reads");
            if let Ok(data) = frame.into_data() {
                return Some(data);
            }
        }
    }

    /// The rest of the body, as text.
    pub async fn rest(&mut self) -> String {
        let mut rest = Vec::new();
        while let Some(chunk) = self.chunk().await {
            rest.extend_from_slice(&chunk);
        }
        String::from_utf8_lossy(&rest).into_owned()
    }
}

/// How many times a test app's handlers ran: shared with the app as state, so a test can
/// check that a refused request never reached its handler.
#[derive(Debug, Default)]
pub struct Calls(AtomicUsize);

impl Calls {
    /// Counts a call: the first thing a counting handler does.
    pub fn add(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    /// The calls so far.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// Awaits `request`, which must be refused without running a handler, and returns its
    /// reply.
    pub async fn refused(&self, request: impl Future<Output = Reply>) -> Reply {
        let before = self.count();
        let reply = request.await;
        assert_eq!(
            self.count(),
            before,
            "a handler ran for a request answered {}: {}",
            reply.status,
            reply.text()
        );
        reply
    }

    /// Awaits `request`, which must run its handler once, and returns its reply.
    pub async fn served(&self, request: impl Future<Output = Reply>) -> Reply {
        let before = self.count();
        let reply = request.await;
        assert_eq!(
            self.count(),
            before + 1,
            "the handler did not run once for a request answered {}: {}",
            reply.status,
            reply.text()
        );
        reply
    }
}

/// Writes `request` as raw bytes and returns everything the server sends until it closes the
/// connection. A server that has not closed it within 10 s fails the test: every raw request
/// either asks for `connection: close` or is one the server must give up on.
pub async fn raw(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let mut response = Vec::new();
    // A reset after the response (the server closing with bytes unread) ends the read too.
    let read =
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response)).await;
    let response = String::from_utf8_lossy(&response).into_owned();
    assert!(
        read.is_ok(),
        "the server kept the connection open for 10 s after sending {response:?}"
    );
    response
}

/// The status code of the first response in a raw HTTP/1.1 answer.
pub fn raw_status(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {response:?}"))
}

/// The `location` of every entry of a problem's `errors`, in order.
pub fn locations(problem: &serde_json::Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|error| error["location"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
