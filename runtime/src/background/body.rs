//! The response body of a route with background tasks: releases them once it is done.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};

use super::Queue;
use crate::body::{Body, BoxError};

/// Wraps a response body; releases the request's background tasks when hyper has taken the
/// last frame, or when the body is dropped (the client left, a `HEAD` request, an error).
#[derive(Debug)]
pub(crate) struct Release {
    body: Body,
    /// `None` once released.
    queue: Option<Arc<Queue>>,
}

impl Release {
    pub(crate) fn new(body: Body, queue: Arc<Queue>) -> Self {
        Self {
            body,
            queue: Some(queue),
        }
    }

    fn release(&mut self) {
        if let Some(queue) = self.queue.take() {
            queue.release();
        }
    }
}

impl http_body::Body for Release {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        let frame = Pin::new(&mut this.body).poll_frame(cx);
        // The last frame is the one after which the body says it has ended; hyper may not
        // poll again after it.
        if let Poll::Ready(None | Some(Err(_))) = frame {
            this.release();
        } else if frame.is_ready() && this.body.is_end_stream() {
            this.release();
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for Release {
    fn drop(&mut self) {
        self.release();
    }
}
