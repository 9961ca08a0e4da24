//! [`App`]: routes, state and settings, checked and built into the shared `AppInner`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use oxapi_openapi::{ApiInfo, ContactInfo, DocumentBuilder, LicenseInfo};

use crate::build_error::{BuildError, BuildErrors};
use crate::context::{Resources, RouteContext, StateMap};
use crate::docs::{Docs, DocsConfig};
use crate::pool::{BlockingPool, BlockingPriority, PoolConfig};
use crate::route::RouteDef;
use crate::router::{Endpoint, Router};

/// The default largest request body: 2 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The default time in-flight requests get to finish after a shutdown signal.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// An API: its routes, its shared state and its settings.
///
/// ```
/// use oxapi::prelude::*;
///
/// #[get("/hello/{name}")]
/// async fn hello(name: String) -> String {
///     format!("Hello, {name}!")
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().routes(routes![hello]).test_client();
/// let response = client.get("/hello/Ada").send().await;
/// assert_eq!(response.text(), "Hello, Ada!");
/// # }
/// ```
pub struct App {
    pub(crate) info: ApiInfo,
    docs: DocsConfig,
    routes: Vec<RouteDef>,
    states: StateMap,
    body_limit: usize,
    pool: PoolConfig,
    pub(crate) shutdown_grace: Duration,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("title", &self.info.title)
            .field("version", &self.info.version)
            .field("routes", &self.routes.len())
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}

impl Default for App {
    fn default() -> Self {
        Self::new()
    }
}

impl App {
    /// An app with no routes and default settings.
    pub fn new() -> Self {
        Self {
            info: ApiInfo::new("API", "0.1.0"),
            docs: DocsConfig::default(),
            routes: Vec::new(),
            states: StateMap::default(),
            body_limit: DEFAULT_BODY_LIMIT,
            pool: PoolConfig::default(),
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }

    /// The API's title, in the document and the docs pages.
    #[must_use]
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.info.title = title.into();
        self
    }

    /// The API's version.
    #[must_use]
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.info.version = version.into();
        self
    }

    /// A description of the API (CommonMark), shown at the top of the docs pages.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.info.description = Some(description.into());
        self
    }

    /// Adds a server the API is reachable at, with a description.
    #[must_use]
    pub fn server(mut self, url: impl Into<String>, description: impl Into<String>) -> Self {
        self.info
            .servers
            .push((url.into(), Some(description.into())));
        self
    }

    /// Describes a tag used by operations; tags are listed in the order described.
    #[must_use]
    pub fn tag(mut self, name: impl Into<String>, description: impl Into<String>) -> Self {
        self.info.tags.push((name.into(), Some(description.into())));
        self
    }

    /// Who to contact about the API.
    #[must_use]
    pub fn contact(mut self, contact: ContactInfo) -> Self {
        self.info.contact = Some(contact);
        self
    }

    /// The API's license.
    #[must_use]
    pub fn license(mut self, license: LicenseInfo) -> Self {
        self.info.license = Some(license);
        self
    }

    /// Where the OpenAPI document is served (default `/openapi.json`); `None` serves none.
    /// The docs pages load the document from here.
    #[must_use]
    pub fn openapi_path(mut self, path: Option<&str>) -> Self {
        self.docs.openapi = path.map(str::to_owned);
        self
    }

    /// Where the Swagger UI page is served (default `/docs`); `None` turns it off.
    #[must_use]
    pub fn swagger_ui_path(mut self, path: Option<&str>) -> Self {
        self.docs.swagger_ui = path.map(str::to_owned);
        self
    }

    /// Where the Scalar page is served (default `/scalar`); `None` turns it off.
    #[must_use]
    pub fn scalar_path(mut self, path: Option<&str>) -> Self {
        self.docs.scalar = path.map(str::to_owned);
        self
    }

    /// Adds routes, usually `routes![a, b, c]`.
    #[must_use]
    pub fn routes(mut self, routes: impl IntoIterator<Item = RouteDef>) -> Self {
        self.routes.extend(routes);
        self
    }

    /// Registers shared state, read by handlers with [`State<T>`](crate::State).
    /// One value per type; a second value of the same type replaces the first.
    #[must_use]
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.states.insert(value);
        self
    }

    /// The largest request body any route accepts, in bytes (default 2 MiB). A route's
    /// `body_limit = ..` overrides it.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The most threads the blocking pool runs plain-`fn` handlers on (default 64).
    ///
    /// The pool keeps as many calls *computing* as the process has cores; threads beyond
    /// that are started only for calls that are blocked (on I/O, a lock, a sleep), so this
    /// limit bounds how many blocking calls run side by side, and CPU-bound calls never
    /// outnumber the cores.
    #[must_use]
    pub fn blocking_threads(mut self, threads: usize) -> Self {
        self.pool.max_threads = threads.max(1);
        self
    }

    /// How many plain-`fn` calls may wait for a blocking thread (default 1024). Past that,
    /// requests get `503 Service Unavailable` at once instead of waiting without bound.
    #[must_use]
    pub fn blocking_queue(mut self, capacity: usize) -> Self {
        self.pool.queue_capacity = capacity.max(1);
        self
    }

    /// How the blocking pool's threads are scheduled against the event loop (default
    /// [`BlockingPriority::Background`]: the event loop runs first on a contended core).
    #[must_use]
    pub fn blocking_priority(mut self, priority: BlockingPriority) -> Self {
        self.pool.priority = priority;
        self
    }

    /// How long in-flight requests may run after a shutdown signal (default 30 s).
    #[must_use]
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// The routes added so far.
    pub fn route_defs(&self) -> &[RouteDef] {
        &self.routes
    }

    /// Checks the app as [`App::run`] would before serving: every route, operation id and
    /// state.
    ///
    /// # Errors
    ///
    /// Every problem found at once: routes that conflict, operation ids used twice, state a
    /// route needs but the app was not given.
    pub fn check(self) -> Result<(), BuildErrors> {
        self.build().map(drop)
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

    fn build_with_document(self) -> Result<(Shared, serde_json::Value), BuildErrors> {
        let mut errors = Vec::new();
        let mut routes = self.routes;
        routes.extend(crate::docs::routes(&self.docs));

        let mut document = DocumentBuilder::new(self.info.clone());
        let mut seen_ids: Vec<&RouteDef> = Vec::new();
        for route in &routes {
            if let Some(first) = seen_ids.iter().find(|other| {
                other.meta.operation.operation_id == route.meta.operation.operation_id
            }) {
                errors.push(BuildError::DuplicateOperationId {
                    operation_id: route.meta.operation.operation_id,
                    first: first.display_name(),
                    second: route.display_name(),
                });
            } else {
                seen_ids.push(route);
            }
            let mut op = document.operation(&route.meta.operation);
            (route.describe)(&mut op);
            let op = op.finish();
            for (id, type_name) in op.states() {
                if !self.states.contains(*id) {
                    errors.push(BuildError::MissingState {
                        route: route.display_name(),
                        type_name,
                    });
                }
            }
            if !route.meta.hidden {
                document.insert(route.method, route.path, op);
            }
        }
        let document = match document.finish() {
            Ok(document) => document,
            Err(error) => {
                errors.push(BuildError::Document(error.to_string()));
                serde_json::Value::Null
            }
        };

        let mut states = self.states;
        states.insert(Docs::new(&self.info.title, &document, &self.docs));
        let resources = Arc::new(Resources {
            states,
            pool: BlockingPool::new(self.pool),
        });
        let endpoints = routes.into_iter().map(|route| {
            let body_limit = route
                .meta
                .body_limit
                .and_then(|limit| usize::try_from(limit).ok())
                .unwrap_or(self.body_limit);
            Endpoint {
                template: route.path.into(),
                context: Arc::new(RouteContext::new(
                    Arc::clone(&resources),
                    body_limit,
                    route.path,
                )),
                route,
            }
        });
        let router = Router::new(endpoints, &mut errors);
        if !errors.is_empty() {
            return Err(BuildErrors(errors));
        }
        let built = Arc::new(AppInner {
            router,
            shutdown_grace: self.shutdown_grace,
        });
        Ok((built, document))
    }
}

/// A built app, shared by every connection and request.
pub(crate) type Shared = Arc<AppInner>;

/// The built app: the route table, each route with its context, and the server's settings.
#[derive(Debug)]
pub(crate) struct AppInner {
    pub(crate) router: Router,
    pub(crate) shutdown_grace: Duration,
}
