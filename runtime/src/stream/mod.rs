//! Streamed response bodies: bytes from a `Stream` or a blocking iterator ([`Streaming`]),
//! JSON Lines ([`JsonLines`]) and Server-Sent Events ([`Sse`]).
//!
//! Each is a response type whose body hyper polls only when the connection can take more, so
//! a slow client makes the producer wait rather than the server buffer. A client that leaves
//! drops the body, and with it the stream (an iterator's next item is then never asked for).
//! When the app begins shutting down, the body ends cleanly ([`attach`]), so one subscriber
//! never holds the grace period. Other responses pay nothing for any of this.

mod attach;
mod body;
mod iter;
mod jsonl;
mod sse;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http::HeaderValue;
use http::header::CONTENT_TYPE;
use oxapi_openapi::OperationDoc;

use crate::body::BoxError;
use crate::response::{IntoResponse, OCTET_STREAM, Response};

pub(crate) use attach::{attach, wants_attachment};
pub use jsonl::JsonLines;
pub use sse::{Event, LastEventId, Sse};

use body::StreamingBody;

/// A response body streamed from a [`Stream`] of byte chunks, or from a blocking iterator
/// (FastAPI's `StreamingResponse` over an async or a plain generator).
///
/// Documented as `application/octet-stream`; [`Streaming::content_type`] sets the header sent.
/// A chunk the stream fails to produce (`Err`) aborts the response: HTTP/1.1 closes the
/// connection before the last chunk, HTTP/2 resets the stream, so the client sees it was
/// cut short.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::Streaming;
/// use oxapi::futures::StreamExt;
///
/// #[get("/count")]
/// async fn count() -> Streaming {
///     let chunks = oxapi::futures::stream::iter(1..=3).map(|n| Ok::<_, std::io::Error>(format!("{n}\n")));
///     Streaming::new(chunks).content_type("text/plain; charset=utf-8")
/// }
///
/// /// A plain generator: each `next()` runs on the blocking pool.
/// #[get("/lines")]
/// async fn lines() -> Streaming {
///     Streaming::from_iter((1..=3).map(|n| format!("line {n}\n")))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().routes(routes![count, lines]).test_client();
/// assert_eq!(client.get("/count").send().await.text(), "1\n2\n3\n");
/// assert_eq!(client.get("/lines").send().await.text(), "line 1\nline 2\nline 3\n");
/// # }
/// ```
#[must_use]
pub struct Streaming {
    body: StreamingBody,
    content_type: HeaderValue,
}

impl std::fmt::Debug for Streaming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streaming")
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

impl Streaming {
    /// A body of the chunks `stream` yields, as they come.
    pub fn new<S, D, E>(stream: S) -> Self
    where
        S: Stream<Item = Result<D, E>> + Send + 'static,
        D: Into<Bytes>,
        E: Into<BoxError>,
    {
        let chunks = stream.map(|chunk| chunk.map(Into::into).map_err(Into::into));
        Self::of(StreamingBody::new(chunks))
    }

    /// A body of the chunks a blocking iterator yields: each `next()` is one job on the app's
    /// blocking pool, asked for only when the connection wants the next chunk, so a slow
    /// client holds no thread while it reads.
    #[expect(
        clippy::should_implement_trait,
        reason = "FromIterator cannot take a blocking iterator's bounds"
    )]
    pub fn from_iter<I>(iter: I) -> Self
    where
        I: IntoIterator + Send + 'static,
        I::IntoIter: Send + 'static,
        I::Item: Into<Bytes> + Send + 'static,
    {
        Self::try_from_iter(iter.into_iter().map(Ok::<_, std::convert::Infallible>))
    }

    /// As [`Streaming::from_iter`], for an iterator of `Result`s: an `Err` aborts the response.
    pub fn try_from_iter<I, D, E>(iter: I) -> Self
    where
        I: IntoIterator<Item = Result<D, E>> + Send + 'static,
        I::IntoIter: Send + 'static,
        D: Into<Bytes> + Send + 'static,
        E: Into<BoxError> + Send + 'static,
    {
        Self::of(StreamingBody::from_iter(
            iter.into_iter()
                .map(|chunk| chunk.map(Into::into).map_err(Into::into)),
        ))
    }

    fn of(body: StreamingBody) -> Self {
        Self {
            body,
            content_type: HeaderValue::from_static(OCTET_STREAM),
        }
    }

    /// The `Content-Type` sent (default `application/octet-stream`).
    pub fn content_type(mut self, content_type: &'static str) -> Self {
        self.content_type = HeaderValue::from_static(content_type);
        self
    }
}

impl IntoResponse for Streaming {
    fn describe(op: &mut OperationDoc<'_>) {
        crate::response::describe_bytes(op);
    }

    fn into_response(self) -> Response {
        self.body.into_response(self.content_type)
    }
}

/// `response` with `content_type`.
fn with_content_type(mut response: Response, content_type: HeaderValue) -> Response {
    response.headers_mut().insert(CONTENT_TYPE, content_type);
    response
}
