//! The request body as a stream of chunks, within the route's limit.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use http_body::Body as _;
use oxapi_openapi::OperationDoc;

use super::kind::Incoming;
use super::{FromRequest, Rejection, Request, RequestContext};
use crate::body::Body;

/// The request body as a [`Stream`] of chunks as they arrive, for proxies and large uploads
/// that are not multipart; it takes the body, so it is a route's one body parameter.
///
/// The route's body limit holds as the chunks arrive: a request whose `Content-Length` is over
/// it gets its 413 before the handler runs, and a body that grows past it ends the stream with
/// `Err(Rejection::BodyTooLarge)`, which a handler returning `Result<_, Rejection>` (or
/// `ApiError`) passes on with `?` as the 413 problem. A body the client cut short yields
/// `Err(Rejection::BodyRead)` (400). After an error the stream ends.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::{BodyStream, Rejection};
/// use oxapi::futures::StreamExt;
///
/// #[post("/upload", body_limit = 16)]
/// async fn upload(mut body: BodyStream) -> Result<String, Rejection> {
///     let mut total = 0;
///     while let Some(chunk) = body.next().await {
///         total += chunk?.len();
///     }
///     Ok(format!("{total} bytes"))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().routes(routes![upload]).test_client();
/// assert_eq!(client.post("/upload").body("hello").send().await.text(), "5 bytes");
/// assert_eq!(client.post("/upload").body("x".repeat(17)).send().await.status(), 413);
/// # }
/// ```
#[derive(Debug)]
pub struct BodyStream {
    /// `None` once ended.
    body: Option<Body>,
    limit: usize,
    received: usize,
}

impl BodyStream {
    fn new(body: Body, limit: usize) -> Self {
        Self {
            body: Some(body),
            limit,
            received: 0,
        }
    }
}

impl Stream for BodyStream {
    type Item = Result<Bytes, Rejection>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            let Some(body) = this.body.as_mut() else {
                return Poll::Ready(None);
            };
            let outcome = match std::task::ready!(Pin::new(body).poll_frame(cx)) {
                None => None,
                Some(Err(_)) => Some(Err(Rejection::BodyRead)),
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else {
                        continue; // trailers
                    };
                    this.received = this.received.saturating_add(data.len());
                    if this.received > this.limit {
                        Some(Err(Rejection::BodyTooLarge { limit: this.limit }))
                    } else {
                        Some(Ok(data))
                    }
                }
            };
            if !matches!(outcome, Some(Ok(_))) {
                this.body = None;
            }
            return Poll::Ready(outcome);
        }
    }
}

impl FromRequest for BodyStream {
    type Rejection = Rejection;

    fn describe(op: &mut OperationDoc<'_>) {
        super::body::describe_raw_body(op);
    }

    fn from_request(
        request: Request,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Rejection>> + Send {
        let (parts, body) = request.into_parts();
        std::future::ready(Self::of(&parts.headers, body, ctx.body_limit()))
    }

    fn from_incoming(
        incoming: &mut Incoming,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Rejection>> + Send {
        let (head, body) = incoming.head_and_body();
        std::future::ready(Self::of(&head.headers, body, ctx.body_limit()))
    }
}

impl BodyStream {
    /// The stream of `body`, or a 413 at once if its `Content-Length` is over `limit`.
    pub(crate) fn of(
        headers: &http::HeaderMap,
        body: Body,
        limit: usize,
    ) -> Result<Self, Rejection> {
        if super::body::declared_length(headers).is_some_and(|length| length > limit as u64) {
            return Err(Rejection::BodyTooLarge { limit });
        }
        Ok(Self::new(body, limit))
    }
}
