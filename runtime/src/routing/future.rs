//! The response future of one routed request: a ready response (404, 405, redirects) or a
//! running handler, whose panic becomes a 500 and whose body a `HEAD` request drops. The
//! response goes through the app's error handlers, if it has any, when it is ready.

use std::convert::Infallible;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::body::{Body, Response};
use crate::error_handlers::{SharedHandlers, handle};
use crate::handler::HandlerFuture;
use crate::problem::panic_response;

/// The response to one request.
pub(crate) struct ResponseFuture {
    state: State,
    /// The app's error handlers, which the response goes through when it is ready.
    handlers: SharedHandlers,
}

enum State {
    Ready(Option<Response>),
    Running { future: HandlerFuture, head: bool },
}

impl std::fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl ResponseFuture {
    pub(crate) fn ready(response: Response) -> Self {
        Self {
            state: State::Ready(Some(response)),
            handlers: None,
        }
    }

    /// The response of `future`, a handler's; `head` drops its body.
    pub(crate) fn running(future: HandlerFuture, head: bool) -> Self {
        Self {
            state: State::Running { future, head },
            handlers: None,
        }
    }

    /// Passes the response through the app's error `handlers`. Without any (`None`), this
    /// copies a null pointer.
    pub(crate) fn handled_by(mut self, handlers: &SharedHandlers) -> Self {
        self.handlers.clone_from(handlers);
        self
    }
}

impl Future for ResponseFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let (response, head) = match &mut this.state {
            State::Ready(response) => (
                response
                    .take()
                    .unwrap_or_else(|| panic_response(&"response future polled after completion")),
                false,
            ),
            State::Running { future, head } => {
                // A panicking handler answers 500 instead of dropping the connection.
                let polled = catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx)));
                let response = match polled {
                    Ok(Poll::Pending) => return Poll::Pending,
                    Ok(Poll::Ready(response)) => response,
                    Err(panic) => panic_response(panic.as_ref()),
                };
                (response, *head)
            }
        };
        // A success is compared with 400 and nothing more.
        let response = handle(this.handlers.as_deref(), response);
        Poll::Ready(Ok(if head { strip_body(response) } else { response }))
    }
}

/// A `HEAD` response: the `GET` response's headers, without its body.
fn strip_body(response: Response) -> Response {
    use http_body::Body as _;
    let (mut parts, body) = response.into_parts();
    if let Some(length) = body.size_hint().exact() {
        parts
            .headers
            .entry(http::header::CONTENT_LENGTH)
            .or_insert_with(|| http::HeaderValue::from(length));
    }
    Response::from_parts(parts, Body::empty())
}
