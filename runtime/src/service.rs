//! Serving one request: route lookup, the generated handler, and the fixed responses for
//! unknown paths, wrong methods and handler panics.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::ALLOW;
use oxapi_openapi::FrameworkError;

use crate::app::Shared;
use crate::body::Response;
use crate::error_handlers::{SharedHandlers, handle_in_place};
use crate::extract::MatchedPath;
use crate::handler::Request;
use crate::middleware::{RouteService, call_once};
use crate::problem::Problem;
use crate::response::IntoResponse;
use crate::routing::ResponseFuture;
use crate::routing::table::{Endpoint, Lookup, Router, Target};

/// Routes a request and starts its handler; anything but a generated handler is out of line,
/// in `route_elsewhere`.
// A macro, not a function: through a call, even an inlined one, the request was copied once
// more on its way to the handler, and `call` is every request's path.
macro_rules! route {
    ($routing:expr, $request:ident) => {{
        let routing: &Routing = $routing;
        match routing
            .table
            .lookup($request.method(), $request.uri().path())
        {
            Lookup::Found {
                endpoint:
                    Endpoint {
                        target: Target::Handler { handler, context },
                        stall,
                        ..
                    },
                params,
                head,
            } => ResponseFuture::running(
                handler($request, params, context),
                head,
                &routing.handlers,
                *stall,
            ),
            lookup => route_elsewhere(routing, lookup, $request),
        }
    }};
}

/// Serves one request: through the app's layers if it has any, else straight to routing.
pub(crate) fn call(app: &Shared, request: Request) -> ResponseFuture {
    if let Some(service) = &app.layered {
        return through_layers(app, service, request);
    }
    route!(&app.routing, request)
}

/// [`call`] for an app with layers.
#[inline(never)]
fn through_layers(app: &Shared, service: &RouteService, request: Request) -> ResponseFuture {
    let service = service.clone();
    ResponseFuture::running(
        Box::pin(async move { call_once(service, request).await }),
        false,
        &app.routing.handlers,
        app.layers_stall,
    )
}

/// A built app as a tower service: to mount it in another app, or to serve it from your own
/// hyper or tower stack.
#[derive(Debug, Clone)]
pub(crate) struct AppService(pub(crate) Shared);

impl tower_service::Service<Request> for AppService {
    type Response = Response;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> ResponseFuture {
        call(&self.0, request)
    }
}

/// The route table and what routing does when nothing matches.
#[derive(Debug)]
pub(crate) struct Routing {
    pub(crate) table: Router,
    /// Answer a path that only matches with (or without) a trailing slash with a 307 there.
    pub(crate) redirect_trailing_slash: bool,
    /// The prefix a proxy serves the app under: the redirect's `Location` is seen through it.
    pub(crate) root_path: Box<str>,
    /// The app's error handlers, for the responses routing makes or passes on.
    pub(crate) handlers: SharedHandlers,
}

/// Routing as the innermost service of the app's layers.
#[derive(Debug, Clone)]
pub(crate) struct RoutingService(pub(crate) Arc<Routing>);

impl tower_service::Service<Request> for RoutingService {
    type Response = Response;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> ResponseFuture {
        route(&self.0, request)
    }
}

/// Routes `request` and starts its handler.
pub(crate) fn route(routing: &Routing, request: Request) -> ResponseFuture {
    route!(routing, request)
}

/// What [`route()`] does for anything but a generated handler: a route behind layers, a mounted
/// service, a wrong method or an unknown path.
#[inline(never)]
fn route_elsewhere(routing: &Routing, lookup: Lookup<'_>, mut request: Request) -> ResponseFuture {
    let handlers = &routing.handlers;
    match lookup {
        Lookup::Found {
            endpoint,
            params,
            head,
        } => match &endpoint.target {
            // Served by `route`.
            Target::Handler { handler, context } => ResponseFuture::running(
                handler(request, params, context),
                head,
                handlers,
                endpoint.stall,
            ),
            Target::Service { service, template } => {
                let params = params.detach(request.uri().path());
                let extensions = request.extensions_mut();
                extensions.insert(params);
                extensions.insert(MatchedPath(Arc::clone(template)));
                let service = service.clone();
                ResponseFuture::running(
                    Box::pin(async move { call_once(service, request).await }),
                    head,
                    handlers,
                    endpoint.stall,
                )
            }
            Target::Mount { service, prefix } => {
                strip_prefix(&mut request, prefix);
                let service = service.clone();
                // The mounted service answers HEAD itself.
                ResponseFuture::running(
                    Box::pin(async move { call_once(service, request).await }),
                    false,
                    handlers,
                    endpoint.stall,
                )
            }
        },
        Lookup::MethodNotAllowed { allow } => {
            let mut response = Problem::from(FrameworkError::MethodNotAllowed)
                .with_detail(format!(
                    "{} is not allowed here; allowed: {}",
                    request.method(),
                    allow.to_str().unwrap_or("")
                ))
                .into_response();
            response.headers_mut().insert(ALLOW, allow.clone());
            ResponseFuture::ready(handled(handlers, response))
        }
        Lookup::NotFound => {
            if routing.redirect_trailing_slash
                && let Some(redirect) = slash_redirect(routing, &request)
            {
                return ResponseFuture::ready(redirect);
            }
            ResponseFuture::ready(handled(
                handlers,
                Problem::from(FrameworkError::NotFound)
                    .with_detail(format!("no route matches {}", request.uri().path()))
                    .into_response(),
            ))
        }
    }
}

/// Routing's own error `response`, through the app's error `handlers` if it has any.
fn handled(handlers: &SharedHandlers, mut response: Response) -> Response {
    if let Some(handlers) = handlers {
        handle_in_place(Some(handlers), None, &mut response);
    }
    response
}

/// The `307` to the same path with a trailing slash added or removed, if that path exists.
fn slash_redirect(routing: &Routing, request: &Request) -> Option<Response> {
    let path = request.uri().path();
    let other = match path.strip_suffix('/') {
        Some(stripped) if !stripped.is_empty() => stripped.to_owned(),
        Some(_) => return None,
        None => format!("{path}/"),
    };
    if matches!(
        routing.table.lookup(request.method(), &other),
        Lookup::NotFound
    ) {
        return None;
    }
    let root = &routing.root_path;
    let location = match request.uri().query() {
        Some(query) => format!("{root}{other}?{query}"),
        None => format!("{root}{other}"),
    };
    Some(crate::response::IntoResponse::into_response(
        crate::response::Redirect::temporary(location),
    ))
}

/// Removes a mount's prefix from the request's path: `/static/site.css` → `/site.css`.
fn strip_prefix(request: &mut Request, prefix: &str) {
    let uri = request.uri();
    let rest = uri.path().get(prefix.len()..).unwrap_or("");
    let rest = if rest.is_empty() { "/" } else { rest };
    let path_and_query = match uri.query() {
        Some(query) => format!("{rest}?{query}"),
        None => rest.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    if let Ok(path_and_query) = path_and_query.parse() {
        parts.path_and_query = Some(path_and_query);
        if let Ok(stripped) = http::Uri::from_parts(parts) {
            *request.uri_mut() = stripped;
        }
    }
}
