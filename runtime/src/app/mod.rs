//! [`App`]: routes, state and settings. `compose` adds routers, layers and dependencies;
//! `build` checks everything and builds what serves it.

use std::fmt;
use std::time::Duration;

use oxapi_openapi::{ApiInfo, ContactInfo, LicenseInfo, OperationIdStrategy, Tag, Webhook};

use crate::context::{Overrides, StateMap};
use crate::docs::DocsConfig;
use crate::error_handlers::ErrorHandlers;
use crate::health::HealthConfig;
use crate::lifespan::Hooks;
use crate::limits::ServerLimits;
use crate::middleware::{LayerErrorHandler, LayerFn, default_layer_error};
use crate::pool::{BlockingPriority, PoolConfig};
use crate::proxy::ProxyHeaders;
use crate::routing::Router;

mod build;
mod compose;
mod errors;
mod lifespan;
mod proxy;

pub(crate) use build::Shared;

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
    /// How operations without `operation_id = ..` are named.
    operation_ids: OperationIdStrategy,
    /// Requests the API sends: webhooks by name, and callbacks (operation id, name, URL
    /// expression), documented only.
    webhooks: Vec<(String, Webhook)>,
    callbacks: Vec<Callback>,
    docs: DocsConfig,
    health: HealthConfig,
    /// Where the Prometheus metrics are served; `None` measures nothing.
    metrics_path: Option<String>,
    /// Whether each request gets an id, a span and an access line.
    access_log: bool,
    /// How [`App::run`] prints the log.
    pub(crate) log_format: crate::LogFormat,
    /// The app's own routes, routers and mounts, and its app-wide dependencies and route
    /// layers.
    root: Router,
    /// Layers around routing, outermost last.
    layers: Vec<LayerFn>,
    layer_error: LayerErrorHandler,
    /// How the app answers errors its own way.
    errors: ErrorHandlers,
    overrides: Overrides,
    redirect_trailing_slash: bool,
    /// Behind a proxy: the trusted proxies as given (parsed when the app is built, so a bad
    /// entry is reported with the app's other errors), the headers they write, and the path
    /// prefix they serve the app under.
    forwarded_allow_ips: Vec<String>,
    proxy_headers: ProxyHeaders,
    root_path: String,
    states: StateMap,
    /// Startup and shutdown hooks, and the handle to the app's lifespan.
    lifespan: Hooks,
    body_limit: usize,
    pool: PoolConfig,
    pub(crate) shutdown_grace: Duration,
    drain_delay: Duration,
    limits: ServerLimits,
    stall_threshold: Option<Duration>,
    /// TLS for the server; `None` serves plain HTTP.
    pub(crate) tls: Option<crate::TlsConfig>,
}

/// A callback given to [`App::callback`].
#[derive(Debug)]
struct Callback {
    operation_id: String,
    name: String,
    expression: String,
    webhook: Webhook,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("title", &self.info.title)
            .field("version", &self.info.version)
            .field("routes", &self.root)
            .field("layers", &self.layers.len())
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
        let lifespan = Hooks::default();
        // Every app provides its lifespan handle as state, for readiness endpoints and streams
        // that end on shutdown.
        let mut states = StateMap::default();
        states.insert(lifespan.handle().clone());
        Self {
            info: ApiInfo::new("API", "0.1.0"),
            operation_ids: OperationIdStrategy::default(),
            webhooks: Vec::new(),
            callbacks: Vec::new(),
            docs: DocsConfig::default(),
            health: HealthConfig::default(),
            metrics_path: None,
            access_log: false,
            log_format: crate::LogFormat::Text,
            root: Router::new(),
            layers: Vec::new(),
            layer_error: default_layer_error,
            errors: ErrorHandlers::default(),
            overrides: Overrides::default(),
            redirect_trailing_slash: false,
            forwarded_allow_ips: Vec::new(),
            proxy_headers: ProxyHeaders::default(),
            root_path: String::new(),
            states,
            lifespan,
            body_limit: DEFAULT_BODY_LIMIT,
            pool: PoolConfig::default(),
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            drain_delay: Duration::ZERO,
            limits: ServerLimits::default(),
            stall_threshold: Some(crate::DEFAULT_STALL_THRESHOLD),
            tls: None,
        }
    }

    /// The API's title, in the document and the docs pages.
    #[must_use]
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.info.title = title.into();
        self
    }

    /// A short summary of the API (OpenAPI 3.1 `info.summary`).
    #[must_use]
    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.info.summary = Some(summary.into());
        self
    }

    /// A URL to the API's terms of service.
    #[must_use]
    pub fn terms_of_service(mut self, url: impl Into<String>) -> Self {
        self.info.terms_of_service = Some(url.into());
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
    pub fn tag(self, name: impl Into<String>, description: impl Into<String>) -> Self {
        self.tag_with(Tag::new(name).description(description))
    }

    /// Describes a tag in full: its description and a link to more documentation.
    ///
    /// ```
    /// use oxapi::{App, Tag};
    ///
    /// let app = App::new().tag_with(
    ///     Tag::new("items")
    ///         .description("Things we sell.")
    ///         .external_docs("https://example.com/items", Some("The catalogue guide")),
    /// );
    /// let document = app.openapi().unwrap();
    /// assert_eq!(document["tags"][0]["externalDocs"]["url"], "https://example.com/items");
    /// ```
    #[must_use]
    pub fn tag_with(mut self, tag: Tag) -> Self {
        self.info.tags.push(tag);
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

    /// How operations whose route gives no `operation_id = ..` are named (default: the
    /// function's name).
    ///
    /// ```
    /// use oxapi::prelude::*;
    /// use oxapi::OperationIdStrategy;
    ///
    /// #[get("/items/{id}", tags = ["items"])]
    /// async fn read(id: u64) -> String {
    ///     id.to_string()
    /// }
    ///
    /// let app = App::new()
    ///     .operation_ids(OperationIdStrategy::TagFnName)
    ///     .routes(routes![read]);
    /// let document = app.openapi().unwrap();
    /// assert_eq!(document["paths"]["/items/{id}"]["get"]["operationId"], "items_read");
    /// ```
    #[must_use]
    pub fn operation_ids(mut self, strategy: OperationIdStrategy) -> Self {
        self.operation_ids = strategy;
        self
    }

    /// Documents a webhook: a request the API sends to its users' servers, listed under the
    /// document's `webhooks` (OpenAPI 3.1) with the name `name`.
    ///
    /// ```
    /// use oxapi::prelude::*;
    /// use oxapi::Webhook;
    ///
    /// /// An order, as the webhook sends it.
    /// #[model]
    /// struct Order { id: u64 }
    ///
    /// let app = App::new().webhook(
    ///     "orderPaid",
    ///     Webhook::post().summary("An order was paid.").body::<Order>(),
    /// );
    /// let document = app.openapi().unwrap();
    /// let sent = &document["webhooks"]["orderPaid"]["post"];
    /// assert_eq!(sent["requestBody"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Order");
    /// ```
    #[must_use]
    pub fn webhook(mut self, name: impl Into<String>, webhook: Webhook) -> Self {
        self.webhooks.push((name.into(), webhook));
        self
    }

    /// Documents a callback of the operation `operation_id`: a request the API sends while
    /// serving it, to the URL the runtime expression `expression` names (like
    /// `{$request.body#/callbackUrl}`).
    ///
    /// # Errors
    ///
    /// Building the app fails with [`BuildError::CallbackWithoutOperation`](crate::BuildError)
    /// if no route has the operation id.
    ///
    /// ```
    /// use oxapi::prelude::*;
    /// use oxapi::Webhook;
    ///
    /// #[model]
    /// struct Subscription { callback_url: String }
    ///
    /// #[model]
    /// struct Event { kind: String }
    ///
    /// #[post("/subscriptions")]
    /// async fn subscribe(subscription: Json<Subscription>) -> StatusCode {
    ///     let _ = subscription;
    ///     StatusCode::CREATED
    /// }
    ///
    /// let app = App::new().routes(routes![subscribe]).callback(
    ///     "subscribe",
    ///     "onEvent",
    ///     "{$request.body#/callback_url}",
    ///     Webhook::post().body::<Event>(),
    /// );
    /// let document = app.openapi().unwrap();
    /// let callbacks = &document["paths"]["/subscriptions"]["post"]["callbacks"];
    /// assert!(callbacks["onEvent"]["{$request.body#/callback_url}"]["post"].is_object());
    /// ```
    #[must_use]
    pub fn callback(
        mut self,
        operation_id: impl Into<String>,
        name: impl Into<String>,
        expression: impl Into<String>,
        webhook: Webhook,
    ) -> Self {
        self.callbacks.push(Callback {
            operation_id: operation_id.into(),
            name: name.into(),
            expression: expression.into(),
            webhook,
        });
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

    /// Where the liveness probe is served (default `/livez`); `None` turns it off.
    ///
    /// It answers `200 {"status":"alive"}` whenever the process answers at all, from the
    /// moment the listener is bound, through startup and shutdown: an orchestrator restarts
    /// an instance that stops answering it. It is hidden from the document unless
    /// [`document_health`](Self::document_health) says otherwise.
    #[must_use]
    pub fn liveness_path(mut self, path: Option<&str>) -> Self {
        self.health.liveness = path.map(str::to_owned);
        self
    }

    /// Where the readiness probe is served (default `/readyz`); `None` turns it off.
    ///
    /// It answers `200 {"status":"ready"}` while the app is
    /// [`Ready`](crate::LifespanState::Ready), and a 503 problem (`urn:oxapi:problem:not-ready`,
    /// with `Retry-After`) while the startup hooks run and from the moment shutdown begins
    /// (step 1 of the order on [`LifespanHandle`](crate::LifespanHandle)), so a load balancer
    /// sends traffic elsewhere before the instance stops accepting. While the app starts, the
    /// server answers the probes at once; any other request waits for startup to end, then is
    /// served (or, if startup fails, answered with that 503).
    #[must_use]
    pub fn readiness_path(mut self, path: Option<&str>) -> Self {
        self.health.readiness = path.map(str::to_owned);
        self
    }

    /// Lists the liveness and readiness probes in the OpenAPI document (they are hidden by
    /// default, as the docs routes are).
    #[must_use]
    pub fn document_health(mut self, documented: bool) -> Self {
        self.health.documented = documented;
        self
    }

    /// Serves Prometheus metrics at `path` (`/metrics` by convention; off by default, or
    /// `--metrics-path` / `$OXAPI_METRICS_PATH` on [`App::run`]'s command line), hidden from
    /// the document:
    ///
    /// - `http_server_requests_total{method, route, status}`: requests answered by each
    ///   route (its template, so a path's values do not multiply the series), by status class
    ///   (`2xx`, `4xx`, ...); requests no route matched are not counted;
    /// - `http_server_request_duration_seconds{method, route}`: a histogram of the time from
    ///   a request's arrival to its response's head;
    /// - `oxapi_blocking_pool_{threads,busy,queued,max_threads,queue_capacity}` and
    ///   `oxapi_blocking_pool_refused_total` (the 503s of a full pool);
    /// - `oxapi_stall_slow_polls_total` and `oxapi_stall_longest_poll_seconds` (the stall
    ///   detector's);
    /// - `oxapi_connections_open`, `oxapi_connections_max`, and `oxapi_ready` (1 while the
    ///   readiness probe answers 200).
    ///
    /// The recorder is the process's `metrics` recorder, so the program's own
    /// `metrics::counter!(..)` and the like are served there too. Each route is then measured
    /// by a service around it, as a route layer is; with metrics off, nothing is.
    #[must_use]
    pub fn metrics_path(mut self, path: Option<&str>) -> Self {
        self.metrics_path = path.map(str::to_owned);
        self
    }

    /// Gives each request an id and logs its answer (off by default, or `--access-log` /
    /// `$OXAPI_ACCESS_LOG=1` on [`App::run`]'s command line).
    ///
    /// The id is the request's `X-Request-Id` (as a proxy or the calling service set it), or
    /// a new UUID; the response carries it back in `X-Request-Id`, handlers read it with
    /// [`RequestId`](crate::RequestId) and pass it on with [`RequestId::headers`](crate::RequestId::headers).
    /// Each request is served inside a `request` span with fields `request_id`, `method` and
    /// `route` (its template), so every log line written meanwhile carries them, and ends with
    /// an `answered` event at level info with its `status` and `elapsed_ms` (the probes and the
    /// metrics page are left out of the log). With the `otel`
    /// feature, the span joins the trace of the request's `traceparent` and is exported.
    /// Each route is then served through a service around it, as a route layer is; with the
    /// access log off, nothing is added.
    #[must_use]
    pub fn access_log(mut self, on: bool) -> Self {
        self.access_log = on;
        self
    }

    /// How [`App::run`] prints the log on stderr (default text; `--log-format` /
    /// `$OXAPI_LOG_FORMAT` win). Ignored if the program installed a `tracing` subscriber of
    /// its own.
    #[must_use]
    pub fn log_format(mut self, format: crate::LogFormat) -> Self {
        self.log_format = format;
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

    /// The most threads the blocking pool runs plain-`fn` handlers on (default 64): how many
    /// plain-fn calls run side by side. A call gets a thread the moment it is queued (an idle
    /// one, or a new one below this limit); past it, calls wait in the queue.
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
    /// [`BlockingPriority::Low`]: below the event loop on a contended core, never starved).
    #[must_use]
    pub fn blocking_priority(mut self, priority: BlockingPriority) -> Self {
        self.pool.priority = priority;
        self
    }

    /// How many [`BackgroundTasks`](crate::BackgroundTasks) may be queued or running at once
    /// (default [`DEFAULT_BACKGROUND_TASK_LIMIT`](crate::DEFAULT_BACKGROUND_TASK_LIMIT)). Past
    /// it, a task is dropped unrun, logged (`tracing`, level warn) and counted in
    /// [`LifespanHandle::background_tasks`](crate::LifespanHandle::background_tasks).
    #[must_use]
    pub fn background_task_limit(self, limit: usize) -> Self {
        self.lifespan.handle().set_background_task_limit(limit);
        self
    }

    /// The limits of the app's WebSockets: message and frame size, idle and send timeouts (see
    /// [`WebSocketConfig`](crate::ws::WebSocketConfig) for the defaults). Kept as the app's
    /// state, so a route that is no WebSocket never reads it.
    #[must_use]
    pub fn websocket_config(mut self, config: crate::ws::WebSocketConfig) -> Self {
        self.states.insert(config);
        self
    }

    /// How long in-flight requests may run after a shutdown signal (default 30 s).
    #[must_use]
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// How long the server goes on accepting connections after a shutdown signal, before it
    /// closes its listener (default none).
    ///
    /// Meanwhile the app is `Draining` (a readiness probe reading
    /// [`LifespanHandle::state`](crate::LifespanHandle::state) answers 503 at once), every
    /// HTTP/1 response says `Connection: close` and closes its connection, and HTTP/2
    /// connections are sent `GOAWAY`: a load balancer stops reusing its connections and
    /// learns, before the port closes, that this instance is leaving. Set it to how long
    /// the load balancer takes to stop sending (its health checks' interval times their
    /// failure threshold, or the time an orchestrator takes to remove the instance). The
    /// grace period ([`App::shutdown_grace`]) starts after it.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # fn main() -> std::process::ExitCode {
    /// oxapi::App::new()
    ///     .drain_delay(Duration::from_secs(5))
    ///     .run()
    /// # }
    /// ```
    #[must_use]
    pub fn drain_delay(mut self, delay: Duration) -> Self {
        self.drain_delay = delay;
        self
    }

    /// The longest any route may take to answer (unless its router sets its own, with
    /// [`Router::request_timeout`]): past it, the handler's future is dropped and the client
    /// gets a `504` problem, documented on every operation. None by default. A plain `fn`
    /// handler cannot be stopped: it runs on, holding its blocking thread (counted against
    /// the pool's threads), and its result is dropped.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.root = self.root.request_timeout(timeout);
        self
    }

    /// The server's limits on connections: header read and keep-alive timeouts, head size,
    /// connections served at once, HTTP/2's streams and liveness checks (see
    /// [`ServerLimits`] for each default).
    #[must_use]
    pub fn server_limits(mut self, limits: ServerLimits) -> Self {
        self.limits = limits;
        self
    }

    /// How long a poll of a route's future may hold the event loop before the stall detector
    /// reports it (default 10 ms, [`DEFAULT_STALL_THRESHOLD`](crate::DEFAULT_STALL_THRESHOLD));
    /// `None` turns the detector off for this app. See [`StallStats`](crate::StallStats).
    #[must_use]
    pub fn stall_threshold(mut self, threshold: impl Into<Option<Duration>>) -> Self {
        self.stall_threshold = threshold.into().filter(|threshold| !threshold.is_zero());
        self
    }

    /// Serves over TLS with `config`'s certificate: HTTPS only on the app's port, HTTP/2 and
    /// HTTP/1.1 chosen by ALPN, the certificate files read again on `SIGHUP` (see
    /// [`TlsConfig`](crate::TlsConfig)). `App::run` sets it from `--tls-cert` and
    /// `--tls-key` as well; those win over this.
    ///
    /// ```no_run
    /// use oxapi::{App, TlsConfig};
    ///
    /// # fn main() -> Result<(), oxapi::TlsError> {
    /// let tls = TlsConfig::from_pem_files("cert.pem", "key.pem")?;
    /// App::new().tls(tls).run();
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn tls(mut self, config: crate::TlsConfig) -> Self {
        self.tls = Some(config);
        self
    }
}
