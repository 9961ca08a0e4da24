//! Routing: the public [`Router`] builder, flattened when the app is built into one route
//! [`table`], and the services a request goes through when a route has layers or
//! dependencies.

mod future;
mod router;
pub(crate) mod table;

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use tower_service::Service;

pub(crate) use future::ResponseFuture;
pub use router::Router;
pub(crate) use router::{Flat, FlatMount, FlatRoute, Scope};

use crate::context::RouteContext;
use crate::dependency::DependencyService;
use crate::error_handlers::SharedHandlers;
use crate::handler::{HandlerFn, PathParams, Request};
use crate::middleware::{OnError, RouteService, layer_fn};
use crate::response::Response;
use crate::stall::RouteId;
use table::{ANY_METHOD, Endpoint, Target};

/// A generated handler as a tower service, for a route behind layers or dependencies. The
/// router left the path parameters in the request's extensions.
#[derive(Clone)]
struct HandlerService {
    handler: HandlerFn,
    context: Arc<RouteContext>,
    handlers: SharedHandlers,
}

impl Service<Request> for HandlerService {
    type Response = Response;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request) -> ResponseFuture {
        let params = request
            .extensions_mut()
            .remove::<PathParams>()
            .unwrap_or_default();
        // A panic becomes a 500 here, inside the layers and dependencies, so that their
        // teardowns see it; the app's error handlers render errors here for the same reason.
        ResponseFuture::running(
            (self.handler)(request, params, &self.context),
            false,
            &self.handlers,
            self.context.stall(),
        )
    }
}

/// The endpoint serving `route` at `path`: the handler itself, or, when routers gave it
/// dependencies or layers, the handler behind them.
pub(crate) fn route_endpoint(
    route: &FlatRoute,
    context: Arc<RouteContext>,
    on_error: &OnError,
) -> Endpoint {
    let stall = context.stall();
    let FlatRoute { path, route, scope } = route;
    let name = format!(
        "{} {} ({}::{})",
        route.method, path, route.meta.module_path, route.meta.fn_name
    );
    let target = if scope.dependencies.is_empty()
        && scope.layers.is_empty()
        && scope.request_timeout.is_none()
    {
        Target::Handler {
            handler: route.handler,
            context,
        }
    } else {
        let mut service = RouteService::new(HandlerService {
            handler: route.handler,
            context: Arc::clone(&context),
            handlers: on_error.handlers.clone(),
        });
        if !scope.dependencies.is_empty() {
            service = RouteService::new(DependencyService {
                dependencies: scope.dependencies.clone().into(),
                context,
                inner: service,
            });
        }
        for layer in &scope.layers {
            service = layer(service, on_error);
        }
        // Outermost, so that the limit holds for everything the route does; its `Elapsed`
        // is answered 504 by the app's layer error handler.
        if let Some(limit) = scope.request_timeout {
            service = layer_fn(tower::timeout::TimeoutLayer::new(limit))(service, on_error);
        }
        Target::Service {
            service,
            template: path.as_str().into(),
        }
    };
    Endpoint {
        method: route.method,
        template: path.as_str().into(),
        name,
        target,
        stall,
    }
}

/// The two endpoints of a mounted service: the prefix itself and everything below it.
pub(crate) fn mount_endpoints(
    mount: FlatMount,
    on_error: &OnError,
    stall: RouteId,
) -> [Endpoint; 2] {
    let FlatMount {
        prefix,
        mut service,
        scope,
    } = mount;
    for layer in &scope.layers {
        service = layer(service, on_error);
    }
    let name = format!("{prefix} (mounted service)");
    let shared_prefix: Arc<str> = prefix.as_str().into();
    let endpoint = |template: String| Endpoint {
        method: ANY_METHOD,
        template: template.into(),
        name: name.clone(),
        target: Target::Mount {
            service: service.clone(),
            prefix: Arc::clone(&shared_prefix),
        },
        stall,
    };
    [
        endpoint(if prefix.is_empty() {
            "/".to_owned()
        } else {
            prefix.clone()
        }),
        endpoint(format!("{prefix}/{{*oxapi_mounted}}")),
    ]
}
