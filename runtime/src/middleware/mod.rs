//! tower middleware: any [`tower::Layer`](tower_layer::Layer) whose service speaks
//! `http::Request` and `http::Response`, so every tower-http middleware works unchanged.
//!
//! Layers are type-erased once, when the app is built: each becomes a function from the
//! service it wraps to the wrapped service. A route or app without layers never meets this
//! module; its requests go straight to the generated handler.

mod from_fn;

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use oxapi_openapi::FrameworkError;
use tower::ServiceExt as _;
use tower::util::BoxCloneSyncService;
use tower_layer::Layer;
use tower_service::Service;

pub use from_fn::{FromFn, FromFnLayer, Next, from_fn};

use crate::body::{Body, BoxError};
use crate::error_handlers::{SharedHandlers, handle};
use crate::handler::Request;
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};

/// A type-erased service from oxapi's request to its response: a layered route, the
/// routing behind the app's layers, or a mounted service.
pub(crate) type RouteService = BoxCloneSyncService<Request, Response, Infallible>;

/// The service a layer wraps: a route, a router's routes, or the app's routing.
///
/// It takes a request with any body whose data is [`Bytes`], so a layer may change the request
/// body type (as `RequestDecompressionLayer` does) and the routes still read it.
#[derive(Clone)]
pub struct Inner {
    service: RouteService,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner").finish_non_exhaustive()
    }
}

impl<B> Service<http::Request<B>> for Inner
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = <RouteService as Service<Request>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.service.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        self.service.call(request.map(Body::new))
    }
}

/// Turns an error a layer's service returned into the response the client gets.
///
/// Set with [`App::layer_error_handler`](crate::App::layer_error_handler); the default is
/// [`default_layer_error`].
pub type LayerErrorHandler = fn(BoxError) -> Response;

/// The default [`LayerErrorHandler`]: tower's `Elapsed` (from `tower::timeout`) is a
/// `504 Gateway Timeout`; any other error is logged and answered `500`.
pub fn default_layer_error(error: BoxError) -> Response {
    if error.is::<tower::timeout::error::Elapsed>() {
        return Problem::from(FrameworkError::Timeout)
            .with_detail("the request took longer than the server allows")
            .into_response();
    }
    tracing::error!(%error, "a middleware layer failed");
    Problem::from(FrameworkError::Internal).into_response()
}

/// How a layer's error becomes a response: the app's answer to the error's type if it maps
/// it ([`App::error_handler`](crate::App::error_handler)), else the app's
/// [`LayerErrorHandler`]; the response then goes through the app's error handlers like any
/// other.
#[derive(Clone)]
pub(crate) struct OnError {
    pub(crate) layer: LayerErrorHandler,
    pub(crate) handlers: SharedHandlers,
}

impl Default for OnError {
    fn default() -> Self {
        Self {
            layer: default_layer_error,
            handlers: None,
        }
    }
}

impl OnError {
    /// The response to `error`.
    fn answer(&self, error: BoxError) -> Response {
        let handlers = self.handlers.as_deref();
        let response = match handlers.and_then(|handlers| handlers.map(&*error)) {
            Some(mapped) => mapped,
            None => (self.layer)(error),
        };
        handle(handlers, response)
    }
}

/// A layer, type-erased: wraps a service, turning the layer's errors into responses.
pub(crate) type LayerFn = Arc<dyn Fn(RouteService, &OnError) -> RouteService + Send + Sync>;

/// Erases `layer`'s type. The bounds are what [`App::layer`](crate::App::layer) documents.
pub(crate) fn layer_fn<L, B, E>(layer: L) -> LayerFn
where
    L: Layer<Inner> + Send + Sync + 'static,
    L::Service:
        Service<Request, Response = http::Response<B>, Error = E> + Clone + Send + Sync + 'static,
    <L::Service as Service<Request>>::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    E: Into<BoxError>,
{
    Arc::new(move |service, on_error| {
        RouteService::new(Answering::new(
            layer.layer(Inner { service }),
            on_error.clone(),
        ))
    })
}

/// A service whose errors, and whose response bodies, become oxapi's: an error is answered
/// with `on_error`'s response, so the service never fails.
pub(crate) struct Answering<S> {
    inner: S,
    on_error: OnError,
    /// An error from `poll_ready`, answered by the next call.
    unready: Option<BoxError>,
}

impl<S: Clone> Clone for Answering<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            on_error: self.on_error.clone(),
            unready: None,
        }
    }
}

impl<S> Answering<S> {
    pub(crate) fn new(inner: S, on_error: OnError) -> Self {
        Self {
            inner,
            on_error,
            unready: None,
        }
    }
}

impl<S, B> Service<Request> for Answering<S>
where
    S: Service<Request, Response = http::Response<B>>,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = AnsweringFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        if self.unready.is_some() {
            return Poll::Ready(Ok(()));
        }
        match self.inner.poll_ready(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(error)) => {
                self.unready = Some(error.into());
                Poll::Ready(Ok(()))
            }
        }
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match self.unready.take() {
            Some(error) => AnsweringFuture::Failed {
                response: Some(self.on_error.answer(error)),
            },
            None => AnsweringFuture::Calling {
                future: self.inner.call(request),
                on_error: self.on_error.clone(),
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Answering`].
    #[project = AnsweringProjection]
    pub(crate) enum AnsweringFuture<F> {
        Calling { #[pin] future: F, on_error: OnError },
        Failed { response: Option<Response> },
    }
}

impl<F, B, E> std::future::Future for AnsweringFuture<F>
where
    F: std::future::Future<Output = Result<http::Response<B>, E>>,
    E: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            AnsweringProjection::Calling { future, on_error } => future.poll(cx).map(|result| {
                Ok(match result {
                    Ok(response) => response.map(Body::new),
                    Err(error) => on_error.answer(error.into()),
                })
            }),
            AnsweringProjection::Failed { response } => Poll::Ready(Ok(response
                .take()
                .unwrap_or_else(|| Problem::from(FrameworkError::Internal).into_response()))),
        }
    }
}

/// Calls `service` once, as hyper calls a service: readiness first, then the request. It
/// takes the service by value: callers hand over the clone they made, not one to clone again.
pub(crate) async fn call_once(service: RouteService, request: Request) -> Response {
    match service.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
