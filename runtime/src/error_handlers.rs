//! The app's error handlers: framework errors rendered the app's way instead of as problem
//! details, and handler errors ([`Error`](crate::Error)) answered as the app maps their type.
//!
//! A framework error is made in many places (extractors, the router, the blocking pool,
//! the panic guard, layers), none of which knows the app. So each makes its problem response
//! as usual, with a [`FrameworkErrorReport`] in its extensions, and the places that know the
//! app pass the response through [`handle`] as it comes back: the handler's response future
//! (before route layers and dependency teardowns see the response), routing (404, 405) and
//! the layers' error answer.
//!
//! A handler's [`Error`](crate::Error) travels the same way: its response is a bare `500`
//! carrying the error ([`Unhandled`]), which the generated handler passes to
//! [`handle_in_place`] with its route, so that an error no mapping takes is logged with it.
//!
//! What a success pays, measured with `bench/instructions.py` against the commit before
//! error handlers (within its noise of about ±50 instructions on 11 600 a request): every
//! caller compares the status with 400 before it calls anything here, and passes an error by
//! `&mut`, out of line, because a response is large and moving one through a call copies it;
//! an app without handlers keeps the response future it had (the handlers are a variant of
//! its own, not a field every future carries and drops).

use std::any::TypeId;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, HeaderName, StatusCode, header};
use oxapi_openapi::{FrameworkError, OperationDoc};

use crate::any_error::Unhandled;
use crate::report::FrameworkErrorReport;
use crate::response::Response;
use crate::route::DescribeFn;

/// Renders a framework error.
pub(crate) type RenderFn = Arc<dyn Fn(&FrameworkErrorReport) -> Response + Send + Sync>;

/// The app's renderer for some framework errors, and how to document what it sends.
#[derive(Clone)]
pub(crate) struct FrameworkHook {
    pub(crate) render: RenderFn,
    /// Documents the renderer's return type, as a success at the error's status.
    pub(crate) describe: DescribeFn,
}

/// An error, as a type mapping is given it.
pub(crate) type AnyError = dyn std::error::Error + Send + Sync + 'static;

/// Answers an error of one type; `None` for an error of another.
pub(crate) type MapFn = Arc<dyn Fn(&AnyError) -> Option<Response> + Send + Sync>;

/// The app's answer to errors of one type.
#[derive(Clone)]
pub(crate) struct TypeHook {
    pub(crate) type_id: TypeId,
    pub(crate) type_name: &'static str,
    pub(crate) map: MapFn,
    /// The status the answer is documented at, if `describe` documents a plain success.
    pub(crate) status: Option<u16>,
    pub(crate) describe: DescribeFn,
}

/// Everything the app registered to answer errors its own way.
#[derive(Clone, Default)]
pub(crate) struct ErrorHandlers {
    framework: BTreeMap<FrameworkError, FrameworkHook>,
    /// In the order registered; one per type.
    types: Vec<TypeHook>,
}

impl fmt::Debug for ErrorHandlers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let types: Vec<&str> = self.types.iter().map(|hook| hook.type_name).collect();
        f.debug_struct("ErrorHandlers")
            .field("framework", &self.framework.keys().collect::<Vec<_>>())
            .field("types", &types)
            .finish()
    }
}

/// The route a response comes from, for the log of an error no mapping takes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Route<'a> {
    pub(crate) method: &'static str,
    pub(crate) path: &'a str,
}

impl ErrorHandlers {
    /// Renders each of `errors` with `hook`, replacing an earlier renderer of the same error.
    pub(crate) fn set_framework(&mut self, errors: &[FrameworkError], hook: &FrameworkHook) {
        for error in errors {
            self.framework.insert(*error, hook.clone());
        }
    }

    /// Answers errors of `hook`'s type with it, replacing an earlier answer to that type.
    pub(crate) fn set_type(&mut self, hook: TypeHook) {
        match self
            .types
            .iter_mut()
            .find(|known| known.type_id == hook.type_id)
        {
            Some(known) => *known = hook,
            None => self.types.push(hook),
        }
    }

    /// Whether the app registered nothing, so that requests need not look.
    pub(crate) fn is_empty(&self) -> bool {
        self.framework.is_empty() && self.types.is_empty()
    }

    /// Documents, on an operation that returns [`Error`](crate::Error), each type's answer.
    pub(crate) fn describe_types(&self, op: &mut OperationDoc<'_>) {
        for hook in &self.types {
            match hook.status {
                Some(status) => op.at_status(status, hook.describe),
                None => (hook.describe)(op),
            }
        }
    }

    /// The app's answer to `error`, if it maps its type.
    pub(crate) fn map(&self, error: &AnyError) -> Option<Response> {
        self.types.iter().find_map(|hook| (hook.map)(error))
    }

    /// The framework errors the app renders, with how to document each.
    pub(crate) fn framework_docs(&self) -> impl Iterator<Item = (FrameworkError, DescribeFn)> {
        self.framework
            .iter()
            .map(|(error, hook)| (*error, hook.describe))
    }

    /// `response`, rendered by the app's hook if it is a framework error the app renders.
    fn render_framework(&self, mut response: Response) -> Response {
        let hook = response
            .extensions()
            .get::<FrameworkErrorReport>()
            .and_then(|report| self.framework.get(&report.kind()));
        let Some(hook) = hook else {
            return response;
        };
        let Some(report) = response.extensions_mut().remove::<FrameworkErrorReport>() else {
            return response;
        };
        let mut rendered = (hook.render)(&report);
        // A renderer that returns its body alone (`Json(..)`) answers with the error's status,
        // as a route's `status = ..` applies to a plain success.
        if rendered.status() == StatusCode::OK {
            *rendered.status_mut() = report.status();
        }
        // A renderer that returns the report's problem must not be rendered again further out.
        rendered.extensions_mut().remove::<FrameworkErrorReport>();
        keep_headers(response.headers(), rendered.headers_mut());
        rendered
    }
}

/// The headers of the framework's response the rendered one keeps, unless it sets them:
/// all but those describing the body it replaces. So a 405 keeps its `Allow` and a 503 its
/// `Retry-After` (which the document lists), and a layer's header (CORS, a request id) is
/// not lost.
fn keep_headers(framework: &HeaderMap, rendered: &mut HeaderMap) {
    const BODY_HEADERS: [HeaderName; 7] = [
        header::CONTENT_TYPE,
        header::CONTENT_LENGTH,
        header::CONTENT_ENCODING,
        header::CONTENT_LANGUAGE,
        header::CONTENT_RANGE,
        header::TRANSFER_ENCODING,
        header::ETAG,
    ];
    for name in framework.keys() {
        if BODY_HEADERS.contains(name) || rendered.contains_key(name) {
            continue;
        }
        for value in framework.get_all(name) {
            rendered.append(name.clone(), value.clone());
        }
    }
}

/// Passes a response that is coming back through the app's error handlers, if it has any.
///
/// A success costs one comparison: the extensions are looked at only for an error status.
pub(crate) fn handle(handlers: Option<&ErrorHandlers>, response: Response) -> Response {
    handle_route(handlers, None, response)
}

/// As [`handle`] for a response of `route`, in place: an error no mapping takes is logged with
/// the route. Out of line, so that the success path of its callers stays small.
#[cold]
#[inline(never)]
pub(crate) fn handle_in_place(
    handlers: Option<&ErrorHandlers>,
    route: Option<Route<'_>>,
    response: &mut Response,
) {
    *response = handle_route(handlers, route, std::mem::take(response));
}

/// As [`handle`], for a response of `route`: an error no mapping takes is logged with it.
pub(crate) fn handle_route(
    handlers: Option<&ErrorHandlers>,
    route: Option<Route<'_>>,
    mut response: Response,
) -> Response {
    let status = response.status();
    if status.as_u16() < 400 {
        return response;
    }
    // Only an `Error`'s bare 500 carries one; whatever answers it, it is answered once.
    if status == StatusCode::INTERNAL_SERVER_ERROR
        && let Some(Unhandled(error)) = response.extensions_mut().remove::<Unhandled>()
    {
        match handlers.and_then(|handlers| handlers.map(&*error)) {
            Some(mapped) => response = mapped,
            None => tracing::error!(
                method = route.map(|route| route.method),
                route = route.map(|route| route.path),
                error = %error,
                "a handler failed with an error the app does not map; answered 500"
            ),
        }
    }
    match handlers {
        Some(handlers) => handlers.render_framework(response),
        None => response,
    }
}

/// The app's error handlers, shared by every place that makes responses; `None` when the
/// app registered none.
pub(crate) type SharedHandlers = Option<Arc<ErrorHandlers>>;

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http::HeaderValue;

    use super::*;
    use crate::problem::Problem;
    use crate::response::IntoResponse;
    use crate::{App, Json, get, routes};

    #[get("/items/{id}", crate = crate)]
    async fn item(id: u32) -> String {
        id.to_string()
    }

    #[get("/panics", crate = crate)]
    async fn panics() -> String {
        panic!("the handler's secret")
    }

    #[get("/slow", crate = crate)]
    async fn slow() -> String {
        // Never finishes: the timeout layer below answers, whatever the machine's speed.
        std::future::pending::<()>().await;
        String::new()
    }

    /// Every framework error as `kind status: detail`, in plain text.
    fn plain(report: &FrameworkErrorReport) -> String {
        format!(
            "{:?} {}: {}",
            report.kind(),
            report.status().as_u16(),
            report.detail().unwrap_or("-")
        )
    }

    fn app() -> App {
        App::new()
            .routes(routes![item, panics])
            .framework_error_handler(FrameworkError::ALL, plain)
    }

    #[tokio::test]
    async fn a_405_keeps_its_allow_header_and_gets_the_handlers_body() {
        let response = app().test_client().post("/items/1").send().await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.header("allow"), Some("GET, HEAD"));
        assert_eq!(
            response.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert!(
            response.text().starts_with("MethodNotAllowed 405: POST"),
            "{}",
            response.text()
        );
    }

    #[tokio::test]
    async fn a_panic_is_rendered_without_its_message() {
        let response = app().test_client().get("/panics").send().await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.text(), "Internal 500: -");
    }

    #[tokio::test]
    async fn only_the_errors_named_are_rendered() {
        let client = App::new()
            .routes(routes![item])
            .framework_error_handler(&[FrameworkError::NotFound], plain)
            .test_client();
        assert_eq!(
            client.get("/nowhere").send().await.text(),
            "NotFound 404: no route matches /nowhere"
        );
        let response = client.get("/items/x").send().await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.header("content-type"), Some(crate::PROBLEM_JSON));
    }

    #[tokio::test]
    async fn a_later_handler_replaces_an_earlier_one_for_the_errors_it_names() {
        let client = app()
            .framework_error_handler(&[FrameworkError::NotFound], |_: &FrameworkErrorReport| {
                (StatusCode::GONE, "gone")
            })
            .test_client();
        let response = client.get("/nowhere").send().await;
        assert_eq!(
            (response.status(), response.text()),
            (StatusCode::GONE, "gone".into())
        );
        assert!(
            client
                .get("/items/x")
                .send()
                .await
                .text()
                .starts_with("Validation 422")
        );
    }

    #[tokio::test]
    async fn layers_see_the_rendered_response() {
        // A route layer that records what the route answered.
        let client = App::new()
            .routes(routes![item])
            .framework_error_handler(FrameworkError::ALL, plain)
            .route_layer(crate::middleware::from_fn(
                |request: crate::Request, next: crate::middleware::Next| async move {
                    let response = next.run(request).await;
                    let seen = response.headers().get("content-type").cloned();
                    let mut response = response;
                    if let Some(seen) = seen {
                        response.headers_mut().insert("x-seen", seen);
                    }
                    response
                },
            ))
            .test_client();
        let response = client.get("/items/x").send().await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.header("x-seen"), Some("text/plain; charset=utf-8"));
    }

    #[tokio::test]
    async fn a_layers_error_is_rendered_too() {
        let client = App::new()
            .routes(routes![slow])
            .framework_error_handler(FrameworkError::ALL, plain)
            .layer(tower::timeout::TimeoutLayer::new(Duration::from_millis(1)))
            .test_client();
        let response = client.get("/slow").send().await;
        assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
        assert!(
            response.text().starts_with("Timeout 504"),
            "{}",
            response.text()
        );
    }

    #[tokio::test]
    async fn a_handler_returning_the_problem_is_not_rendered_twice() {
        let client = App::new()
            .routes(routes![item])
            .framework_error_handler(FrameworkError::ALL, |report: &FrameworkErrorReport| {
                report.problem().clone().with_detail("once")
            })
            .test_client();
        let response = client.get("/nowhere").send().await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body: serde_json::Value = response.json();
        assert_eq!(body["detail"], "once");
    }

    #[test]
    fn the_rendered_response_keeps_the_frameworks_headers_but_not_its_bodys() {
        let mut framework = Problem::from(FrameworkError::Overloaded).into_response();
        let headers = framework.headers_mut();
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        headers.append(header::VARY, HeaderValue::from_static("origin"));
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
        let mut rendered = Json(1).into_response();
        rendered
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("accept"));
        keep_headers(framework.headers(), rendered.headers_mut());
        let headers = rendered.headers();
        assert_eq!(headers[header::RETRY_AFTER], "1");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        assert!(!headers.contains_key(header::CONTENT_ENCODING));
        // The rendered response's own value of a header wins, all of the framework's values go.
        assert_eq!(headers.get_all(header::VARY).iter().count(), 1);
    }

    #[test]
    fn without_handlers_a_response_is_untouched() {
        let response = Problem::from(FrameworkError::NotFound).into_response();
        let response = handle(None, response);
        assert!(
            response
                .extensions()
                .get::<FrameworkErrorReport>()
                .is_some()
        );
    }
}
