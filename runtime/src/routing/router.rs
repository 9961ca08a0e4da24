//! [`Router`]: a group of routes under a prefix, with its tags, dependencies, documented
//! responses and layers, nested into others and into the app. Routers exist only while the
//! app is built: they are flattened into one route table, so a nested route costs a request
//! nothing more than a top-level one.

use bytes::Bytes;
use tower_layer::Layer;
use tower_service::Service;

use crate::body::BoxError;
use crate::dependency::{Dependency, Teardown};
use crate::extract::FromRequestParts;
use crate::handler::Request;
use crate::middleware::{Answering, Inner, LayerFn, OnError, RouteService, layer_fn};
use crate::route::RouteDef;

/// A group of routes sharing a path prefix, tags, dependencies, responses and layers.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::Router;
///
/// /// List users.
/// #[get("/")]
/// async fn list() -> &'static str {
///     "everyone"
/// }
///
/// /// Read one user.
/// #[get("/{id}")]
/// async fn read(id: u32) -> String {
///     format!("user {id}")
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let users = Router::new().prefix("/users").tag("users").routes(routes![list, read]);
/// let client = App::new().router(Router::new().prefix("/v1").nest(users)).test_client();
/// assert_eq!(client.get("/v1/users/7").send().await.text(), "user 7");
/// assert_eq!(client.get("/v1/users/").send().await.text(), "everyone");
/// # }
/// ```
#[derive(Default)]
pub struct Router {
    prefix: String,
    tags: Vec<String>,
    routes: Vec<RouteDef>,
    dependencies: Vec<Dependency>,
    responses: Vec<(u16, String)>,
    layers: Vec<LayerFn>,
    nested: Vec<Router>,
    mounts: Vec<(String, RouteService)>,
    request_timeout: Option<std::time::Duration>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("prefix", &self.prefix)
            .field("tags", &self.tags)
            .field("routes", &self.routes.len())
            .field("nested", &self.nested)
            .finish_non_exhaustive()
    }
}

impl Router {
    /// A router with no prefix and no routes.
    pub fn new() -> Self {
        Self::default()
    }

    /// The path prefix of every route of this router, and of the routers nested in it:
    /// `/v1/users`. It starts with `/`, does not end with one, and has no `{placeholder}`
    /// (checked when the app is built).
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Adds a tag to every operation of this router, after the route's own.
    #[must_use]
    pub fn tag(mut self, name: impl Into<String>) -> Self {
        self.tags.push(name.into());
        self
    }

    /// Adds routes, usually `routes![a, b, c]`.
    #[must_use]
    pub fn routes(mut self, routes: impl IntoIterator<Item = RouteDef>) -> Self {
        self.routes.extend(routes);
        self
    }

    /// Runs the extractor `T` before every route of this router, as a [`Depends<T>`]
    /// parameter would: its rejection answers the request, its value is computed once and a
    /// handler's `Depends<T>` gets it, and what it reads (a header, a query parameter) is
    /// documented on each operation.
    ///
    /// [`Depends<T>`]: crate::Depends
    #[must_use]
    pub fn dependency<T>(mut self) -> Self
    where
        T: FromRequestParts + Clone + Sync + 'static,
    {
        self.dependencies.push(Dependency::of::<T>());
        self
    }

    /// As [`Router::dependency`], and runs `T`'s [`Teardown`] after the handler.
    #[must_use]
    pub fn dependency_with_teardown<T>(mut self) -> Self
    where
        T: FromRequestParts + Clone + Sync + Teardown,
    {
        self.dependencies.push(Dependency::with_teardown::<T>());
        self
    }

    /// Documents a response every route of this router may give (such as the `401` of a
    /// dependency that checks a key), as problem details.
    #[must_use]
    pub fn response(mut self, status: u16, description: impl Into<String>) -> Self {
        self.responses.push((status, description.into()));
        self
    }

    /// Wraps every route of this router (and of the routers nested in it) in a tower layer.
    /// Only requests routed here reach it: a 404 or 405 does not. Layers added later wrap
    /// the earlier ones, and a nested router's layers run inside this router's.
    ///
    /// The bounds are [`App::layer`](crate::App::layer)'s.
    #[must_use]
    pub fn layer<L, B, E>(mut self, layer: L) -> Self
    where
        L: Layer<Inner> + Send + Sync + 'static,
        L::Service: Service<Request, Response = http::Response<B>, Error = E>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
        E: Into<BoxError>,
    {
        self.layers.push(layer_fn(layer));
        self
    }

    /// Nests `router` in this one: its prefix follows this router's, and this router's tags,
    /// dependencies, responses and layers apply to its routes too.
    #[must_use]
    pub fn nest(mut self, router: Router) -> Self {
        self.nested.push(router);
        self
    }

    /// Serves every request under `prefix` with `service`: a sub-application, a static
    /// directory (tower-http's `ServeDir`), a proxy. The service sees the path without the
    /// prefix, and is left out of the OpenAPI document.
    #[must_use]
    pub fn mount<S, B>(mut self, prefix: impl Into<String>, service: S) -> Self
    where
        S: Service<Request, Response = http::Response<B>> + Clone + Send + Sync + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        // The app's error handlers are not known yet: routing applies them to what the
        // mounted service answers.
        let service = Answering::new(service, OnError::default());
        self.mounts
            .push((prefix.into(), RouteService::new(service)));
        self
    }

    /// This router's own routes (not those nested).
    pub(crate) fn route_defs(&self) -> &[RouteDef] {
        &self.routes
    }

    /// The longest its routes (and those of routers nested in it that set none) may take to
    /// answer, extractors, dependencies and layers included: past it, the handler's future
    /// is dropped and the client gets a `504` problem. A plain `fn` handler cannot be stopped:
    /// it runs on, holding its blocking thread, and its result is dropped.
    #[must_use]
    pub fn request_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// Every route and mount of this router and those nested in it, with what applies to
    /// each, outermost first.
    pub(crate) fn flatten(self, scope: &Scope, flat: &mut Flat) {
        if let Some(reason) = prefix_problem(&self.prefix) {
            flat.bad_prefixes.push((self.prefix.clone(), reason));
        }
        let scope = Scope {
            prefix: format!("{}{}", scope.prefix, self.prefix),
            tags: scope.tags.iter().chain(&self.tags).cloned().collect(),
            dependencies: scope
                .dependencies
                .iter()
                .chain(&self.dependencies)
                .copied()
                .collect(),
            responses: scope
                .responses
                .iter()
                .chain(&self.responses)
                .cloned()
                .collect(),
            // A nested router's layers wrap its routes first, its parents' after.
            layers: self.layers.iter().chain(&scope.layers).cloned().collect(),
            request_timeout: self.request_timeout.or(scope.request_timeout),
        };
        for route in self.routes {
            let mut route_scope = scope.clone();
            // The route's own timeout wins over its routers'.
            if let Some(millis) = route.meta.timeout_ms {
                route_scope.request_timeout = Some(std::time::Duration::from_millis(millis));
            }
            flat.routes.push(FlatRoute {
                path: format!("{}{}", scope.prefix, route.path),
                route,
                scope: route_scope,
            });
        }
        for (prefix, service) in self.mounts {
            flat.mounts.push(FlatMount {
                prefix: format!("{}{}", scope.prefix, prefix),
                service,
                scope: scope.clone(),
            });
        }
        for router in self.nested {
            router.flatten(&scope, flat);
        }
    }
}

/// What a router and its parents give each of its routes.
#[derive(Clone, Default)]
pub(crate) struct Scope {
    pub(crate) prefix: String,
    pub(crate) tags: Vec<String>,
    pub(crate) dependencies: Vec<Dependency>,
    pub(crate) responses: Vec<(u16, String)>,
    /// Innermost first: the order they are applied in.
    pub(crate) layers: Vec<LayerFn>,
    /// The innermost router's request timeout, if any sets one.
    pub(crate) request_timeout: Option<std::time::Duration>,
}

/// A route with everything its routers give it.
pub(crate) struct FlatRoute {
    pub(crate) path: String,
    pub(crate) route: RouteDef,
    pub(crate) scope: Scope,
}

/// A mounted service with its full prefix.
pub(crate) struct FlatMount {
    pub(crate) prefix: String,
    pub(crate) service: RouteService,
    pub(crate) scope: Scope,
}

/// Every route and mount of an app's routers.
#[derive(Default)]
pub(crate) struct Flat {
    pub(crate) routes: Vec<FlatRoute>,
    pub(crate) mounts: Vec<FlatMount>,
    /// Prefixes that cannot be, and why.
    pub(crate) bad_prefixes: Vec<(String, &'static str)>,
}

/// Why `prefix` cannot be a router prefix, if it cannot.
fn prefix_problem(prefix: &str) -> Option<&'static str> {
    if prefix.is_empty() {
        None
    } else if !prefix.starts_with('/') {
        Some("it must start with `/`")
    } else if prefix.ends_with('/') {
        Some("it must not end with `/`")
    } else if prefix.contains(['{', '}']) {
        Some("it cannot hold `{placeholders}`: put path parameters in the routes")
    } else {
        None
    }
}
