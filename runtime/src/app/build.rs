//! Building an app: every route checked and documented, then the route table, each route
//! with its context, behind the app's layers.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use oxapi_openapi::{
    DocumentBuilder, FrameworkError, OperationIdInput, OperationIdStrategy, OperationMeta,
};

use super::App;
use super::proxy::root_prefix;
use crate::build_error::{BuildError, BuildErrors};
use crate::context::{Resources, RouteContext};
use crate::docs::Docs;
use crate::error_handlers::{ErrorHandlers, SharedHandlers};
use crate::limits::ServerLimits;
use crate::middleware::{OnError, RouteService};
use crate::pool::BlockingPool;
use crate::proxy::{ProxyConfig, TrustedProxies};
use crate::routing::table::Router as Table;
use crate::routing::{Flat, FlatRoute, Scope, mount_endpoints, route_endpoint};
use crate::service::{Routing, RoutingService};
use crate::stall::{AppStalls, RouteId};

/// A built app, shared by every connection and request.
pub(crate) type Shared = Arc<AppInner>;

/// The built app: routing, the app's layers around it, and the server's settings.
#[derive(Debug)]
pub(crate) struct AppInner {
    pub(crate) routing: Arc<Routing>,
    /// Routing behind the app's layers; `None` without layers, so requests go straight to
    /// routing.
    pub(crate) layered: Option<RouteService>,
    /// Whether a route reads the connection's peer address, so the server attaches it to
    /// requests; decided here so that apps which don't pay nothing per request.
    pub(crate) needs_peer: bool,
    pub(crate) shutdown_grace: Duration,
    /// How long the listener stays open after the shutdown signal (`App::drain_delay`).
    pub(crate) drain_delay: Duration,
    pub(crate) limits: ServerLimits,
    /// The app's layers as the stall detector names them; `0` if it is off.
    pub(crate) layers_stall: RouteId,
    /// The server's TLS; `None` serves plain HTTP.
    pub(crate) tls: Option<crate::TlsConfig>,
    /// The probes, which the server answers while the app starts.
    pub(crate) health: crate::health::HealthConfig,
    /// A permit per connection served (`ServerLimits::max_connections` of them).
    pub(crate) connections: Arc<Semaphore>,
}

impl App {
    /// Checks the app as [`App::run`] would before serving: every route, operation id and
    /// state.
    ///
    /// # Errors
    ///
    /// Every problem found at once: routes that conflict (in any router), operation ids used
    /// twice, state a route needs but the app was not given, invalid router prefixes, trusted
    /// proxies or root path.
    pub fn check(self) -> Result<(), BuildErrors> {
        self.build().map(drop)
    }

    /// Builds the app into a tower service: to mount it in another app as a sub-application
    /// (`App::mount("/admin", admin.into_service()?)`), or to serve it from your own server.
    /// Its own document and docs pages come with it. Lifespan hooks do not: a service has no
    /// start or end of its own, so an app with hooks is refused here; register them on the app
    /// that serves it.
    ///
    /// ```
    /// use oxapi::prelude::*;
    ///
    /// #[get("/stats")]
    /// async fn stats() -> &'static str {
    ///     "all good"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let admin = App::new().routes(routes![stats]).into_service().unwrap();
    /// let client = App::new().mount("/admin", admin).test_client();
    /// assert_eq!(client.get("/admin/stats").send().await.text(), "all good");
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`App::check`], and [`BuildError::HooksInService`] if the app has lifespan hooks.
    pub fn into_service(
        self,
    ) -> Result<
        impl tower_service::Service<
            crate::Request,
            Response = crate::Response,
            Error = std::convert::Infallible,
            Future = impl Send + 'static,
        > + Clone
        + Send
        + Sync
        + 'static,
        BuildErrors,
    > {
        let has_hooks = !self.lifespan.is_empty();
        match self.build() {
            Ok(app) if !has_hooks => Ok(crate::service::AppService(app)),
            Ok(_) => Err(BuildErrors(vec![BuildError::HooksInService])),
            Err(BuildErrors(mut errors)) => {
                if has_hooks {
                    errors.push(BuildError::HooksInService);
                }
                Err(BuildErrors(errors))
            }
        }
    }

    /// Checks the app and builds what serves it.
    pub(crate) fn build(self) -> Result<Shared, BuildErrors> {
        let (built, _) = self.build_with_document()?;
        Ok(built)
    }

    /// The OpenAPI document of this app, as served at `/openapi.json`.
    ///
    /// # Errors
    ///
    /// As [`App::check`].
    pub fn openapi(self) -> Result<serde_json::Value, BuildErrors> {
        let (_, document) = self.build_with_document()?;
        Ok(document)
    }

    /// The operation id of `route`: its `operation_id = ..`, else as the app's
    /// [`OperationIdStrategy`] names it.
    fn operation_id(strategy: OperationIdStrategy, route: &FlatRoute) -> String {
        let operation = &route.route.meta.operation;
        if operation.operation_id_given {
            return operation.operation_id.to_owned();
        }
        let tags: Vec<&str> = operation
            .tags
            .iter()
            .copied()
            .chain(route.scope.tags.iter().map(String::as_str))
            .collect();
        strategy.operation_id(&OperationIdInput {
            fn_name: operation.operation_id,
            method: route.route.method,
            path: &route.path,
            tags: &tags,
        })
    }

    fn build_with_document(self) -> Result<(Shared, serde_json::Value), BuildErrors> {
        let mut errors = Vec::new();
        let mut flat = Flat::default();
        self.root.flatten(&Scope::default(), &mut flat);
        for (prefix, reason) in flat.bad_prefixes.drain(..) {
            errors.push(BuildError::InvalidPrefix { prefix, reason });
        }
        // The docs routes and the probes get no dependency or route layer: an API key check
        // must not lock the docs pages, nor turn a load balancer's probe away.
        flat.routes.extend(
            crate::docs::routes(&self.docs)
                .into_iter()
                .chain(crate::health::routes(&self.health))
                .map(|route| FlatRoute {
                    path: route.path.to_owned(),
                    route,
                    scope: Scope::default(),
                }),
        );

        // Measured: every route, the app's own included, gets its counters as a route layer,
        // outside the route's own layers.
        let recorder = match &self.metrics_path {
            Some(path) => {
                // First: handles registered before the recorder is installed record nothing.
                let recorder = crate::metrics::install();
                flat.routes.push(FlatRoute {
                    path: path.clone(),
                    route: crate::metrics::route(path),
                    scope: Scope::default(),
                });
                for route in &mut flat.routes {
                    let layer = crate::metrics::route_layer(route.route.method, &route.path);
                    route.scope.layers.push(layer);
                }
                match recorder {
                    Ok(handle) => Some(handle),
                    Err(reason) => {
                        errors.push(BuildError::MetricsRecorder(reason));
                        None
                    }
                }
            }
            None => None,
        };
        // Outside the metrics' layer: the access line's time includes the metrics'.
        if self.access_log {
            // Not the probes nor the metrics: a line per probe every few seconds is noise.
            let quiet = ["oxapi::health", "oxapi::metrics"];
            for route in flat
                .routes
                .iter_mut()
                .filter(|route| !quiet.contains(&route.route.meta.module_path))
            {
                let layer = crate::telemetry::access_layer(route.route.method, &route.path);
                route.scope.layers.push(layer);
            }
        }
        let connections = Arc::new(Semaphore::new(
            self.limits.max_connections.min(Semaphore::MAX_PERMITS),
        ));

        let (trusted, bad_entries) =
            TrustedProxies::parse(self.forwarded_allow_ips.iter().map(String::as_str));
        for (entry, reason) in bad_entries {
            errors.push(BuildError::InvalidForwardedAllowIp { entry, reason });
        }
        let root_path = match root_prefix(&self.root_path) {
            Ok(prefix) => prefix.to_owned(),
            Err(reason) => {
                errors.push(BuildError::InvalidRootPath {
                    root_path: self.root_path.clone(),
                    reason,
                });
                String::new()
            }
        };
        let mut info = self.info.clone();
        // Clients outside reach the app under the prefix: say so first, unless a server with
        // that URL is listed already (FastAPI's `root_path_in_servers`).
        if !root_path.is_empty() && !info.servers.iter().any(|(url, _)| *url == root_path) {
            info.servers.insert(0, (root_path.clone(), None));
        }

        let mut document = DocumentBuilder::new(info);
        // Before any operation, which merges these errors' content where it documents them.
        for (error, describe) in self.errors.framework_docs() {
            document.framework_error_response(error, describe);
        }
        let mut needs_peer = false;
        let mut seen_ids: Vec<(String, &FlatRoute)> = Vec::new();
        for flat_route in &flat.routes {
            let FlatRoute { path, route, scope } = flat_route;
            let display = || {
                format!(
                    "{} {path} ({}::{})",
                    route.method, route.meta.module_path, route.meta.fn_name
                )
            };
            let operation_id = Self::operation_id(self.operation_ids, flat_route);
            if let Some((_, first)) = seen_ids.iter().find(|(id, _)| *id == operation_id) {
                errors.push(BuildError::DuplicateOperationId {
                    operation_id: operation_id.clone(),
                    first: format!("{} {}", first.path, first.route.display_name()),
                    second: format!("{path} {}", route.display_name()),
                });
            } else {
                seen_ids.push((operation_id.clone(), flat_route));
            }
            let meta = OperationMeta {
                operation_id: &operation_id,
                ..route.meta.operation
            };
            let mut op = document.operation(&meta);
            (route.describe)(&mut op);
            for dependency in &scope.dependencies {
                (dependency.describe)(&mut op);
            }
            for tag in &scope.tags {
                op.tag(tag);
            }
            for (status, description) in &scope.responses {
                op.problem_response(*status, description);
            }
            if scope.request_timeout.is_some() {
                op.error(FrameworkError::Timeout);
            }
            if op.has_app_errors() {
                self.errors.describe_types(&mut op);
            }
            let mut op = op.finish();
            for callback in &self.callbacks {
                if callback.operation_id == operation_id {
                    let (method, sent) = document.sent_operation(&callback.webhook);
                    op.callback(&callback.name, &callback.expression, &method, sent);
                }
            }
            needs_peer |= op.requires_peer_addr();
            for (id, type_name) in op.states() {
                if !self.states.contains(*id) {
                    errors.push(BuildError::MissingState {
                        route: display(),
                        type_name,
                    });
                }
            }
            if !route.meta.hidden {
                document.insert(route.method, path, op);
            }
        }
        for callback in &self.callbacks {
            if !seen_ids.iter().any(|(id, _)| *id == callback.operation_id) {
                errors.push(BuildError::CallbackWithoutOperation {
                    operation_id: callback.operation_id.clone(),
                    callback: callback.name.clone(),
                });
            }
        }
        for (name, webhook) in &self.webhooks {
            document.webhook(name, webhook);
        }
        let document = match document.finish() {
            Ok(document) => document,
            Err(error) => {
                errors.push(BuildError::Document(error.to_string()));
                serde_json::Value::Null
            }
        };

        let mut states = self.states;
        let stalls = self.stall_threshold.map(AppStalls::new);
        if let Some(stalls) = &stalls {
            states.insert(Arc::clone(stalls));
        }
        let stall_id = |name: String| stalls.as_ref().map_or(0, |stalls| stalls.register(name));
        states.insert(Docs::new(
            &self.info.title,
            &document,
            &self.docs,
            &root_path,
        ));
        if let Some(handle) = recorder {
            states.insert(crate::metrics::AppMetrics::new(
                handle,
                Arc::clone(&connections),
                self.limits.max_connections.min(Semaphore::MAX_PERMITS),
            ));
        }
        // A state, so that a generated handler finds them through its context; `None` when
        // there are none, so that nothing is looked up for them.
        if !self.errors.is_empty() {
            states.insert(self.errors);
        }
        let handlers: SharedHandlers = states.get::<ErrorHandlers>().cloned();
        let resources = Arc::new(Resources {
            states,
            pool: BlockingPool::new(self.pool),
            overrides: self.overrides,
            proxies: ProxyConfig {
                trusted,
                headers: self.proxy_headers,
                tls: self.tls.is_some(),
            },
        });
        let on_error = OnError {
            layer: self.layer_error,
            handlers: handlers.clone(),
        };
        let body_limit = self.body_limit;
        let mut endpoints: Vec<_> = flat
            .routes
            .iter()
            .map(|flat_route| {
                let limit = flat_route
                    .route
                    .meta
                    .body_limit
                    .and_then(|limit| usize::try_from(limit).ok())
                    .unwrap_or(body_limit);
                let stall = stall_id(format!("{} {}", flat_route.route.method, flat_route.path));
                let context = Arc::new(
                    RouteContext::new(Arc::clone(&resources), limit, &flat_route.path)
                        .with_stall(stall),
                );
                route_endpoint(flat_route, context, &on_error)
            })
            .collect();
        for mount in flat.mounts {
            let stall = stall_id(format!("{} (mounted service)", mount.prefix));
            endpoints.extend(mount_endpoints(mount, &on_error, stall));
        }
        let table = Table::new(endpoints, &mut errors);
        if !errors.is_empty() {
            return Err(BuildErrors(errors));
        }
        let routing = Arc::new(Routing {
            table,
            redirect_trailing_slash: self.redirect_trailing_slash,
            root_path: root_path.into(),
            handlers,
        });
        let layered = (!self.layers.is_empty()).then(|| {
            let inner = RouteService::new(RoutingService(Arc::clone(&routing)));
            self.layers
                .iter()
                .fold(inner, |service, layer| layer(service, &on_error))
        });
        let layers_stall = if layered.is_some() {
            stall_id("the app's layers".to_owned())
        } else {
            0
        };
        let built = Arc::new(AppInner {
            routing,
            layered,
            needs_peer,
            shutdown_grace: self.shutdown_grace,
            drain_delay: self.drain_delay,
            limits: self.limits,
            layers_stall,
            tls: self.tls,
            health: self.health,
            connections,
        });
        Ok((built, document))
    }
}
