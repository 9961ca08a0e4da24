//! The response future of one routed request: a ready response (404, 405, redirects) or a
//! running handler, whose panic becomes a 500 and whose body a `HEAD` request drops. In an
//! app with error handlers, the handler's response goes through them when it is ready.

use std::convert::Infallible;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::body::{Body, Response};
use crate::error_handlers::{ErrorHandlers, SharedHandlers, handle_in_place};
use crate::handler::HandlerFuture;
use crate::head_watch::{DoneOnDrop, HeadWatch};
use crate::problem::panic_response;
use crate::stall::{self, RouteId};

/// The response to one request.
pub(crate) struct ResponseFuture {
    state: State,
    /// The route as the stall detector names it, marked on the polling thread for each poll;
    /// `0` if the detector is off.
    stall: RouteId,
    /// An HTTP/1 connection's watch, told when the response is finished: when it is ready if
    /// its body is in memory, else when its body ends. `None` elsewhere.
    done: Option<Arc<HeadWatch>>,
}

// The app's error handlers live in a variant of their own, not in a field: an app without
// them keeps the future as small, and its drop and poll as short, as before they existed.
enum State {
    /// Boxed: a response is large, and a future that holds one inline makes every handler's
    /// future as large, to be moved on every request, for the sake of 404s and 405s.
    Ready(Option<Box<Response>>),
    Running {
        future: HandlerFuture,
        head: bool,
    },
    Handled {
        future: HandlerFuture,
        head: bool,
        handlers: Arc<ErrorHandlers>,
    },
}

impl std::fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl ResponseFuture {
    pub(crate) fn ready(response: Response) -> Self {
        Self {
            state: State::Ready(Some(Box::new(response))),
            stall: 0,
            done: None,
        }
    }

    /// The response of `future`, a handler's, through the app's error `handlers` if it has
    /// any; `head` drops its body; each poll is watched as route `stall`'s.
    pub(crate) fn running(
        future: HandlerFuture,
        head: bool,
        handlers: &SharedHandlers,
        stall: RouteId,
    ) -> Self {
        let state = match handlers {
            None => State::Running { future, head },
            Some(handlers) => State::Handled {
                future,
                head,
                handlers: Arc::clone(handlers),
            },
        };
        Self {
            state,
            stall,
            done: None,
        }
    }

    /// Tells `watch` when the response is finished.
    pub(crate) fn tell_when_done(&mut self, watch: Arc<HeadWatch>) {
        self.done = Some(watch);
    }
}

/// Tells `watch` that `response` is finished, or hooks its body to tell it when it ends.
/// During shutdown it also says `Connection: close` (not on a protocol switch, which keeps
/// the connection as the upgraded protocol's): hyper then closes the connection after it.
fn tell_done(watch: Arc<HeadWatch>, response: &mut Response) {
    if watch.closing() && response.status() != http::StatusCode::SWITCHING_PROTOCOLS {
        response.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
    }
    let body = response.body_mut();
    if body.is_in_memory() {
        watch.response_done();
    } else {
        *body = Body::new(DoneOnDrop::new(std::mem::take(body), watch));
    }
}

impl Future for ResponseFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let (future, head, handlers) = match &mut this.state {
            State::Ready(response) => {
                let mut response = response.take().map_or_else(
                    || panic_response(&"response future polled after completion"),
                    |response| *response,
                );
                if let Some(watch) = this.done.take() {
                    tell_done(watch, &mut response);
                }
                return Poll::Ready(Ok(response));
            }
            State::Running { future, head } => (future, *head, None),
            State::Handled {
                future,
                head,
                handlers,
            } => (future, *head, Some(&**handlers)),
        };
        // A panicking handler answers 500 instead of dropping the connection. The stall
        // detector is told of the poll by the thread's slot.
        let stall = this.stall;
        let polled = catch_unwind(AssertUnwindSafe(|| {
            let polling = stall::begin(stall);
            let polled = future.as_mut().poll(cx);
            stall::end(polling);
            polled
        }));
        let mut response = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(response)) => response,
            Err(panic) => panic_response(panic.as_ref()),
        };
        // A success is compared with 400 and nothing more. Without handlers, an
        // `oxapi::Error` a middleware or a dependency answered with is still logged.
        if response.status().as_u16() >= 400 {
            handle_in_place(handlers, None, &mut response);
        }
        if let Some(watch) = this.done.take() {
            tell_done(watch, &mut response);
        }
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
