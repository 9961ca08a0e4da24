//! Serving one request: route lookup, the generated handler, and the fixed responses for
//! unknown paths, wrong methods and handler panics.

use std::any::Any;
use std::convert::Infallible;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use http::header::ALLOW;
use oxapi_openapi::FrameworkError;

use crate::app::Shared;
use crate::body::Body;
use crate::extract::Request;
use crate::problem::Problem;
use crate::response::Response;
use crate::route::HandlerFuture;
use crate::router::Lookup;

/// Routes `request` and starts its handler.
pub(crate) fn call(app: &Shared, request: Request) -> ResponseFuture {
    let lookup = app.router.lookup(request.method(), request.uri().path());
    match lookup {
        Lookup::Found {
            route,
            params,
            head,
        } => ResponseFuture {
            state: State::Running {
                future: (route.handler)(request, params, app),
                head,
            },
        },
        Lookup::MethodNotAllowed { allow } => {
            let mut response = Problem::from(FrameworkError::MethodNotAllowed)
                .with_detail(format!(
                    "{} is not allowed here; allowed: {}",
                    request.method(),
                    allow.to_str().unwrap_or("")
                ))
                .to_response();
            response.headers_mut().insert(ALLOW, allow.clone());
            ResponseFuture::ready(response)
        }
        Lookup::NotFound => ResponseFuture::ready(
            Problem::from(FrameworkError::NotFound)
                .with_detail(format!("no route matches {}", request.uri().path()))
                .to_response(),
        ),
    }
}

/// The response to a handler that panicked: a 500 whose body says nothing of the panic.
pub(crate) fn panic_response(panic: &(dyn Any + Send)) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "handler panicked");
    Problem::from(FrameworkError::Internal).to_response()
}

/// The response to one request.
pub struct ResponseFuture {
    state: State,
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
    fn ready(response: Response) -> Self {
        Self {
            state: State::Ready(Some(response)),
        }
    }
}

impl Future for ResponseFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().state {
            State::Ready(response) => Poll::Ready(Ok(response
                .take()
                .unwrap_or_else(|| panic_response(&"response future polled after completion")))),
            State::Running { future, head } => {
                // A panicking handler answers 500 instead of dropping the connection.
                let polled = catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx)));
                let response = match polled {
                    Ok(Poll::Pending) => return Poll::Pending,
                    Ok(Poll::Ready(response)) => response,
                    Err(panic) => panic_response(panic.as_ref()),
                };
                Poll::Ready(Ok(if *head {
                    strip_body(response)
                } else {
                    response
                }))
            }
        }
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
