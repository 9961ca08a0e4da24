//! The body of every streamed response: a boxed stream of chunks that ends at shutdown.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use http::HeaderValue;
use http_body::Frame;

use super::attach::{Attachment, Slot};
use super::iter::IterStream;
use crate::body::{Body, BoxError, Response};
use crate::stall::{self, RouteId};

type Chunks = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send>>;

/// A stream of chunks as an [`http_body::Body`]. It reads the app's shutdown signal from its
/// [`Slot`] on the first poll (the handler's response went through `respond`, which filled
/// it) and ends cleanly once shutdown begins.
pub(crate) struct StreamingBody {
    /// `None` once ended: by the stream, an error, or shutdown. Dropping it is how the
    /// producer learns that nobody reads any more.
    chunks: Option<Chunks>,
    attachment: Attachment,
    /// Sent when shutdown ends the stream (an SSE event telling clients to reconnect).
    farewell: Option<Bytes>,
    /// The route, for the stall detector: known from the slot on the first poll.
    stall: RouteId,
}

impl StreamingBody {
    pub(crate) fn new<S>(chunks: S) -> Self
    where
        S: Stream<Item = Result<Bytes, BoxError>> + Send + 'static,
    {
        Self {
            chunks: Some(Box::pin(chunks)),
            attachment: Attachment::Unread(Slot::default()),
            farewell: None,
            stall: 0,
        }
    }

    /// Sends `farewell` as the last chunk when shutdown ends the stream.
    pub(crate) fn with_farewell(mut self, farewell: Bytes) -> Self {
        self.farewell = Some(farewell);
        self
    }

    /// Chunks from a blocking iterator, each `next()` a job on the app's blocking pool.
    pub(crate) fn from_iter<I>(iter: I) -> Self
    where
        I: Iterator<Item = Result<Bytes, BoxError>> + Send + 'static,
    {
        let slot = Slot::default();
        Self {
            chunks: Some(Box::pin(IterStream::new(iter, slot.clone()))),
            attachment: Attachment::Unread(slot),
            farewell: None,
            stall: 0,
        }
    }

    /// The response: this body with `content_type`, and the slot `respond` fills.
    pub(crate) fn into_response(self, content_type: HeaderValue) -> Response {
        let slot = match &self.attachment {
            Attachment::Unread(slot) => Some(slot.clone()),
            _ => None,
        };
        let mut response = super::with_content_type(Response::new(Body::new(self)), content_type);
        if let Some(slot) = slot {
            response.extensions_mut().insert(slot);
        }
        response
    }
}

impl http_body::Body for StreamingBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        let Some(chunks) = this.chunks.as_mut() else {
            return Poll::Ready(None);
        };
        if this.attachment.shutdown_began(cx, &mut this.stall) {
            this.chunks = None;
            return Poll::Ready(this.farewell.take().map(|bytes| Ok(Frame::data(bytes))));
        }
        // The stream's producer runs in this poll: a blocking one blocks the event loop.
        let _polling = stall::enter(this.stall);
        loop {
            match std::task::ready!(chunks.as_mut().poll_next(cx)) {
                // An empty chunk says nothing; HTTP/1.1 would read it as the end.
                Some(Ok(chunk)) if chunk.is_empty() => continue,
                Some(Ok(chunk)) => return Poll::Ready(Some(Ok(Frame::data(chunk)))),
                Some(Err(error)) => {
                    // hyper cuts the response short; this is the only trace of why.
                    tracing::error!(%error, "a streamed response body failed; cutting it short");
                    this.chunks = None;
                    return Poll::Ready(Some(Err(error)));
                }
                None => {
                    this.chunks = None;
                    return Poll::Ready(None);
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_none()
    }
}
