//! Prometheus metrics: what an operator scales on, served at [`App::metrics_path`].
//!
//! Off by default: with it off nothing below runs and routes keep their direct path. On, each
//! route is measured by [`Measured`], a service around it (as a route layer is), holding its
//! own counter and histogram handles: recording is an atomic add and a histogram sample, with
//! no lookup. The gauges (blocking pool, stall detector, connections, readiness) are read
//! when the endpoint is scraped, from the counters the app keeps anyway.
//!
//! The recorder is the `metrics` crate's global one, installed once per process, so the
//! program's own `metrics::counter!(..)` calls are served on the same endpoint.
//!
//! [`App::metrics_path`]: crate::App::metrics_path

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use metrics::{Counter, Gauge, Histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use oxapi_openapi::{OperationDoc, OperationMeta};
use tokio::sync::Semaphore;
use tower_service::Service;

use crate::body::{Body, Response};
use crate::context::{Resources, RouteContext};
use crate::handler::{HandlerFuture, PathParams, Request};
use crate::lifespan::{LifespanHandle, LifespanState};
use crate::middleware::{LayerFn, RouteService};
use crate::route::{RouteDef, RouteMeta};
use crate::stall::AppStalls;

/// The request duration histogram's buckets, in seconds: from half a millisecond, where a
/// cached read lands, to ten seconds, past any sensible request timeout.
const DURATION_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How often histogram samples are folded into their buckets when nobody scrapes, so that
/// memory stays bounded.
const UPKEEP_PERIOD: Duration = Duration::from_secs(5);

/// The process's recorder, installed by the first app that serves metrics.
static RECORDER: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

/// Installs the Prometheus recorder as the process's `metrics` recorder, once, and starts a
/// thread that runs its upkeep.
///
/// # Errors
///
/// If another recorder was installed first: its metrics cannot be rendered here.
pub(crate) fn install() -> Result<PrometheusHandle, String> {
    RECORDER
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full(DURATION.to_owned()),
                    &DURATION_BUCKETS,
                )
                .and_then(PrometheusBuilder::install_recorder)
                .map_err(|error| error.to_string())?;
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("oxapi-metrics".to_owned())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP_PERIOD);
                        upkeep.run_upkeep();
                    }
                })
                .map_err(|error| format!("cannot start the metrics upkeep thread: {error}"))?;
            Ok(handle)
        })
        .clone()
}

/// Requests answered, by route, method and status class.
const REQUESTS: &str = "http_server_requests_total";
/// Time to the response's head, by route and method.
const DURATION: &str = "http_server_request_duration_seconds";

/// The status classes a request is counted under.
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// One route's handles.
#[derive(Debug)]
struct RouteMetrics {
    /// By status class, `1xx` first.
    answered: [Counter; 5],
    duration: Histogram,
}

impl RouteMetrics {
    fn new(method: &str, route: &str) -> Self {
        let labels = |class: &'static str| {
            [
                ("method", method.to_owned()),
                ("route", route.to_owned()),
                ("status", class.to_owned()),
            ]
        };
        Self {
            answered: CLASSES.map(|class| metrics::counter!(REQUESTS, &labels(class))),
            duration: metrics::histogram!(
                DURATION,
                &[("method", method.to_owned()), ("route", route.to_owned())]
            ),
        }
    }

    fn record(&self, status: http::StatusCode, started: Instant) {
        let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
        self.answered[class].increment(1);
        self.duration.record(started.elapsed().as_secs_f64());
    }
}

/// The route layer that measures a route: `method` `route` (its template) in the labels.
pub(crate) fn route_layer(method: &str, route: &str) -> LayerFn {
    let metrics = Arc::new(RouteMetrics::new(method, route));
    Arc::new(move |inner, _| {
        RouteService::new(Measured {
            inner,
            metrics: Arc::clone(&metrics),
        })
    })
}

/// A route's service, measured.
#[derive(Clone)]
struct Measured {
    inner: RouteService,
    metrics: Arc<RouteMetrics>,
}

impl Service<Request> for Measured {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let started = Instant::now();
        let response = self.inner.call(request);
        let metrics = Arc::clone(&self.metrics);
        Box::pin(async move {
            let response = response.await;
            if let Ok(response) = &response {
                metrics.record(response.status(), started);
            }
            response
        })
    }
}

/// What the endpoint reads when scraped, kept among the app's states.
#[derive(Debug)]
pub(crate) struct AppMetrics {
    handle: PrometheusHandle,
    /// The server's connection permits: those taken are the open connections.
    connections: Arc<Semaphore>,
    max_connections: usize,
    gauges: Gauges,
}

/// The gauges read from the app's own counters at each scrape.
#[derive(Debug)]
struct Gauges {
    pool_threads: Gauge,
    pool_busy: Gauge,
    pool_queued: Gauge,
    pool_max_threads: Gauge,
    pool_queue_capacity: Gauge,
    pool_refused: Counter,
    stall_slow_polls: Counter,
    stall_longest: Gauge,
    connections_open: Gauge,
    connections_max: Gauge,
    ready: Gauge,
}

impl AppMetrics {
    pub(crate) fn new(
        handle: PrometheusHandle,
        connections: Arc<Semaphore>,
        max_connections: usize,
    ) -> Self {
        metrics::describe_counter!(
            REQUESTS,
            "HTTP requests answered, by route and status class."
        );
        metrics::describe_histogram!(
            DURATION,
            metrics::Unit::Seconds,
            "Time from a request's arrival to its response's head, by route."
        );
        let gauge = |name: &'static str, help: &'static str| {
            metrics::describe_gauge!(name, help);
            metrics::gauge!(name)
        };
        let counter = |name: &'static str, help: &'static str| {
            metrics::describe_counter!(name, help);
            metrics::counter!(name)
        };
        Self {
            handle,
            connections,
            max_connections,
            gauges: Gauges {
                pool_threads: gauge(
                    "oxapi_blocking_pool_threads",
                    "Blocking pool threads alive, busy or idle.",
                ),
                pool_busy: gauge(
                    "oxapi_blocking_pool_busy",
                    "Blocking pool threads running a call.",
                ),
                pool_queued: gauge(
                    "oxapi_blocking_pool_queued",
                    "Calls waiting for a blocking pool thread.",
                ),
                pool_max_threads: gauge(
                    "oxapi_blocking_pool_max_threads",
                    "The most threads the blocking pool may run.",
                ),
                pool_queue_capacity: gauge(
                    "oxapi_blocking_pool_queue_capacity",
                    "The most calls that may wait for a blocking pool thread.",
                ),
                pool_refused: counter(
                    "oxapi_blocking_pool_refused_total",
                    "Calls the full blocking pool refused with 503.",
                ),
                stall_slow_polls: counter(
                    "oxapi_stall_slow_polls_total",
                    "Polls seen holding the event loop past the stall threshold.",
                ),
                stall_longest: gauge(
                    "oxapi_stall_longest_poll_seconds",
                    "The longest poll the stall detector has seen.",
                ),
                connections_open: gauge("oxapi_connections_open", "Connections being served."),
                connections_max: gauge(
                    "oxapi_connections_max",
                    "The most connections served at once.",
                ),
                ready: gauge(
                    "oxapi_ready",
                    "1 while the app is ready for traffic (its readiness probe answers 200), else 0.",
                ),
            },
        }
    }

    /// Reads the gauges, then renders every metric of the process.
    fn render(&self, resources: &Resources) -> String {
        let gauges = &self.gauges;
        let pool = resources.pool.stats();
        gauges.pool_threads.set(pool.threads as f64);
        gauges.pool_busy.set(pool.busy as f64);
        gauges.pool_queued.set(pool.queued as f64);
        gauges.pool_max_threads.set(pool.max_threads as f64);
        gauges.pool_queue_capacity.set(pool.queue_capacity as f64);
        gauges.pool_refused.absolute(pool.refused);
        if let Some(stalls) = resources.states.get::<AppStalls>() {
            let stats = stalls.stats();
            gauges.stall_slow_polls.absolute(stats.slow_polls);
            gauges.stall_longest.set(stats.longest.as_secs_f64());
        }
        let open = self
            .max_connections
            .saturating_sub(self.connections.available_permits());
        gauges.connections_open.set(open as f64);
        gauges.connections_max.set(self.max_connections as f64);
        let ready = resources
            .states
            .get::<LifespanHandle>()
            .is_some_and(|lifespan| lifespan.state() == LifespanState::Ready);
        gauges.ready.set(if ready { 1.0 } else { 0.0 });
        self.handle.render()
    }
}

/// The endpoint's route, hidden from the document.
pub(crate) fn route(path: &str) -> RouteDef {
    let path: &'static str = match path {
        "/metrics" => "/metrics",
        other => Box::leak(other.to_owned().into_boxed_str()),
    };
    RouteDef {
        method: "GET",
        path,
        handler: endpoint,
        describe: describe_nothing,
        meta: RouteMeta {
            fn_name: "metrics",
            module_path: "oxapi::metrics",
            hidden: true,
            body_limit: None,
            timeout_ms: None,
            operation: OperationMeta::named("metrics"),
        },
    }
}

fn describe_nothing(_: &mut OperationDoc<'_>) {}

/// Prometheus' text format, version 0.0.4.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

fn endpoint(_: Request, _: PathParams, route: &Arc<RouteContext>) -> HandlerFuture {
    let resources = route.resources();
    let text = resources
        .states
        .get::<AppMetrics>()
        .map(|metrics| metrics.render(resources))
        .unwrap_or_default();
    let mut response = Response::new(Body::full(Bytes::from(text)));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(TEXT_FORMAT));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Box::pin(std::future::ready(response))
}
