//! Middleware from a plain async function, as FastAPI's `@app.middleware("http")`: see the
//! request, call the rest of the app, change the response.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use tower_layer::Layer;
use tower_service::Service;

use super::{RouteService, call_once};
use crate::body::{Body, BoxError};
use crate::handler::Request;
use crate::response::{IntoResponse, Response};

/// Makes a layer from an async function of the request and the rest of the app.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::middleware::{Next, from_fn};
///
/// #[get("/hello")]
/// async fn hello() -> &'static str {
///     "hello"
/// }
///
/// /// Adds a header to every response, 404s included.
/// async fn stamp(request: oxapi::Request, next: Next) -> oxapi::Response {
///     let mut response = next.run(request).await;
///     response.headers_mut().insert("x-served-by", "oxapi".parse().unwrap());
///     response
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().routes(routes![hello]).layer(from_fn(stamp)).test_client();
/// assert_eq!(client.get("/hello").send().await.header("x-served-by"), Some("oxapi"));
/// assert_eq!(client.get("/nowhere").send().await.header("x-served-by"), Some("oxapi"));
/// # }
/// ```
pub fn from_fn<F>(function: F) -> FromFnLayer<F> {
    FromFnLayer { function }
}

/// The layer [`from_fn`] makes.
#[derive(Debug, Clone)]
pub struct FromFnLayer<F> {
    function: F,
}

impl<F: Clone, S> Layer<S> for FromFnLayer<F> {
    type Service = FromFn<F, S>;

    fn layer(&self, inner: S) -> Self::Service {
        FromFn {
            function: self.function.clone(),
            inner,
        }
    }
}

/// The service [`FromFnLayer`] makes.
#[derive(Debug, Clone)]
pub struct FromFn<F, S> {
    function: F,
    inner: S,
}

impl<F, Fut, R, S, B> Service<http::Request<B>> for FromFn<F, S>
where
    F: Fn(Request, Next) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse,
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The rest of the app is made ready when `Next::run` calls it.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let next = Next {
            inner: RouteService::new(self.inner.clone()),
        };
        let future = (self.function)(request.map(Body::new), next);
        Box::pin(async move { Ok(future.await.into_response()) })
    }
}

/// The rest of the app, behind a [`from_fn`] middleware.
#[derive(Clone)]
pub struct Next {
    inner: RouteService,
}

impl std::fmt::Debug for Next {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Next").finish_non_exhaustive()
    }
}

impl Next {
    /// Passes the request on and returns the response.
    pub async fn run(self, request: Request) -> Response {
        call_once(self.inner, request).await
    }
}
