//! Each request's id and its access line ([`App::access_log`](crate::App::access_log)).

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue};
use tower_service::Service;
use tracing::Instrument;

use crate::body::Response;
use crate::context::RequestContext;
use crate::extract::FromRequestParts;
use crate::handler::Request;
use crate::middleware::{LayerFn, RouteService};

/// The header a request's id arrives in and is answered with.
const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest id taken from a request; a longer one is replaced, as a malformed one is.
const LONGEST_ID: usize = 200;

/// The id of the request being served: the `X-Request-Id` it came with (as a proxy or the
/// calling service set it), or a new one (a UUID) if it came with none or with one that is
/// empty, longer than 200 bytes or not visible ASCII.
///
/// With [`App::access_log`](crate::App::access_log) on, every log line written while the
/// request is served carries it (as the `request_id` field of its `request` span), the
/// response carries it back in `X-Request-Id`, and this extractor reads that same id. Pass it
/// on to the services the handler calls with [`RequestId::headers`], so their logs join
/// this one's.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::RequestId;
///
/// #[get("/whoami")]
/// async fn whoami(id: RequestId) -> String {
///     tracing::info!("answering");   // `request_id` is in the line, with the access log on
///     format!("request {id}")
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().access_log(true).routes(routes![whoami]).test_client();
/// let response = client.get("/whoami").header("x-request-id", "abc-123").send().await;
/// assert_eq!(response.text(), "request abc-123");
/// assert_eq!(response.headers()["x-request-id"], "abc-123");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(Arc<str>);

impl RequestId {
    /// A new id: a random UUID, in its hyphenated form.
    pub fn generate() -> Self {
        Self(Arc::from(uuid::Uuid::new_v4().hyphenated().to_string()))
    }

    /// The id `headers` carry in `X-Request-Id`, if it is one to keep.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let value = headers.get(REQUEST_ID_HEADER)?.to_str().ok()?;
        let fits = !value.is_empty()
            && value.len() <= LONGEST_ID
            && value.bytes().all(|byte| byte.is_ascii_graphic());
        fits.then(|| Self(Arc::from(value)))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The headers that carry this request onward to a service the handler calls:
    /// `X-Request-Id`, and, with the `otel` feature exporting spans, the W3C trace context
    /// (`traceparent`) of the span being served, so that the callee's spans join this trace.
    pub fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(&self.0) {
            headers.insert(REQUEST_ID_HEADER, value);
        }
        #[cfg(feature = "otel")]
        super::otel::inject_current(&mut headers);
        headers
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromRequestParts for RequestId {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _ctx: &RequestContext<'_>,
    ) -> Result<Self, Infallible> {
        // The access log's, else the header's, else a new one (which then is this request's).
        if let Some(id) = parts.extensions.get::<Self>() {
            return Ok(id.clone());
        }
        let id = Self::from_headers(&parts.headers).unwrap_or_else(Self::generate);
        parts.extensions.insert(id.clone());
        Ok(id)
    }
}

/// The route layer that gives each request of `method` `route` its id, serves it in a
/// `request` span, answers with the id, and logs the access line.
pub(crate) fn access_layer(method: &'static str, route: &str) -> LayerFn {
    let route: Arc<str> = Arc::from(route);
    Arc::new(move |inner, _| {
        RouteService::new(Logged {
            inner,
            method,
            route: Arc::clone(&route),
        })
    })
}

/// A route's service, logged.
#[derive(Clone)]
struct Logged {
    inner: RouteService,
    method: &'static str,
    route: Arc<str>,
}

impl Service<Request> for Logged {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let started = Instant::now();
        let id = RequestId::from_headers(request.headers()).unwrap_or_else(RequestId::generate);
        request.extensions_mut().insert(id.clone());
        let span = tracing::info_span!(
            "request",
            request_id = %id,
            method = self.method,
            route = &*self.route,
        );
        #[cfg(feature = "otel")]
        super::otel::adopt_parent(&span, request.headers());
        let response = span.in_scope(|| self.inner.call(request));
        Box::pin(
            async move {
                let Ok(mut response) = response.await;
                let status = response.status().as_u16();
                let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
                tracing::info!(status, elapsed_ms, "answered");
                if let Ok(value) = HeaderValue::from_str(id.as_str()) {
                    response.headers_mut().insert(REQUEST_ID_HEADER, value);
                }
                Ok(response)
            }
            .instrument(span),
        )
    }
}
