//! The app's own probes: liveness and readiness, for load balancers and orchestrators.
//!
//! Liveness answers 200 whenever the process answers at all, starting and draining included:
//! an orchestrator restarts an instance that stops answering it. Readiness answers 200 only
//! while the app is [`Ready`](LifespanState::Ready), and 503 while its startup hooks run and
//! from the moment shutdown begins, so traffic is sent elsewhere before the instance closes.
//! The server answers both from the moment the listener is bound (see [`crate::server`]).

use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use oxapi_openapi::{FrameworkError, OperationDoc, OperationMeta};
use serde_json::json;

use crate::body::Body;
use crate::context::RouteContext;
use crate::handler::{HandlerFn, HandlerFuture, PathParams, Request};
use crate::lifespan::{LifespanHandle, LifespanState};
use crate::problem::Problem;
use crate::response::Response;
use crate::route::{RouteDef, RouteMeta};

/// Where the probes are served; `None` turns one off.
#[derive(Debug, Clone)]
pub(crate) struct HealthConfig {
    pub(crate) liveness: Option<String>,
    pub(crate) readiness: Option<String>,
    /// Whether the document lists them (they are hidden by default, as the docs routes are).
    pub(crate) documented: bool,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            liveness: Some(DEFAULT_LIVENESS_PATH.to_owned()),
            readiness: Some(DEFAULT_READINESS_PATH.to_owned()),
            documented: false,
        }
    }
}

/// Where liveness is served unless [`App::liveness_path`](crate::App::liveness_path) says
/// otherwise (Kubernetes' own convention).
pub const DEFAULT_LIVENESS_PATH: &str = "/livez";

/// Where readiness is served unless [`App::readiness_path`](crate::App::readiness_path) says
/// otherwise.
pub const DEFAULT_READINESS_PATH: &str = "/readyz";

impl HealthConfig {
    /// Whether `path` is one of the probes: the server answers these while the app starts.
    pub(crate) fn is_probe(&self, path: &str) -> bool {
        self.liveness.as_deref() == Some(path) || self.readiness.as_deref() == Some(path)
    }
}

/// The probe routes.
pub(crate) fn routes(config: &HealthConfig) -> Vec<RouteDef> {
    let mut routes = Vec::new();
    if let Some(path) = &config.liveness {
        routes.push(route(
            leak(path),
            liveness,
            "liveness",
            describe_liveness,
            config.documented,
        ));
    }
    if let Some(path) = &config.readiness {
        routes.push(route(
            leak(path),
            readiness,
            "readiness",
            describe_readiness,
            config.documented,
        ));
    }
    routes
}

/// Route paths are `'static`; a configured path is made so once per app build.
fn leak(path: &str) -> &'static str {
    match path {
        DEFAULT_LIVENESS_PATH => DEFAULT_LIVENESS_PATH,
        DEFAULT_READINESS_PATH => DEFAULT_READINESS_PATH,
        other => Box::leak(other.to_owned().into_boxed_str()),
    }
}

fn route(
    path: &'static str,
    handler: HandlerFn,
    name: &'static str,
    describe: fn(&mut OperationDoc<'_>),
    documented: bool,
) -> RouteDef {
    let mut operation = OperationMeta::named(name);
    operation.summary = Some(match name {
        "liveness" => "Is the process alive?",
        _ => "Is the service ready for traffic?",
    });
    RouteDef {
        method: "GET",
        path,
        handler,
        describe,
        meta: RouteMeta {
            fn_name: name,
            module_path: "oxapi::health",
            hidden: !documented,
            body_limit: None,
            timeout_ms: None,
            operation,
        },
    }
}

/// `{"status": ...}`, the body of a probe's 200.
fn status_schema(status: &str) -> serde_json::Value {
    json!({
        "type": "object",
        "properties": { "status": { "const": status } },
        "required": ["status"],
    })
}

fn describe_liveness(op: &mut OperationDoc<'_>) {
    op.response_schema(200, "application/json", status_schema("alive"));
}

fn describe_readiness(op: &mut OperationDoc<'_>) {
    op.response_schema(200, "application/json", status_schema("ready"));
    op.error(FrameworkError::NotReady);
}

/// A probe's 200: a small JSON body, never cached.
fn status_response(body: &'static str) -> Response {
    let mut response = Response::new(Body::full(Bytes::from_static(body.as_bytes())));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn liveness(_: Request, _: PathParams, _: &Arc<RouteContext>) -> HandlerFuture {
    Box::pin(std::future::ready(status_response(r#"{"status":"alive"}"#)))
}

fn readiness(_: Request, _: PathParams, route: &Arc<RouteContext>) -> HandlerFuture {
    let state = route
        .resources()
        .states
        .get::<LifespanHandle>()
        .map_or(LifespanState::Ready, |lifespan| lifespan.state());
    let response = match state {
        LifespanState::Ready => status_response(r#"{"status":"ready"}"#),
        other => not_ready(other).render(),
    };
    Box::pin(std::future::ready(response))
}

/// The problem answered while the app is in `state` and not ready.
pub(crate) fn not_ready(state: LifespanState) -> Problem {
    let detail = match state {
        LifespanState::Starting => "the service is starting",
        LifespanState::Ready | LifespanState::Draining => "the service is shutting down",
        LifespanState::Stopped => "the service has stopped",
    };
    Problem::from(FrameworkError::NotReady).with_detail(detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_are_the_configured_paths_only() {
        let config = HealthConfig::default();
        assert!(config.is_probe("/livez"));
        assert!(config.is_probe("/readyz"));
        assert!(!config.is_probe("/readyz/"));
        assert!(!config.is_probe("/"));
        let off = HealthConfig {
            liveness: None,
            readiness: Some("/health/ready".into()),
            documented: false,
        };
        assert!(!off.is_probe("/livez"));
        assert!(off.is_probe("/health/ready"));
        assert_eq!(routes(&off).len(), 1);
    }

    #[test]
    fn not_ready_says_why() {
        for (state, detail) in [
            (LifespanState::Starting, "the service is starting"),
            (LifespanState::Draining, "the service is shutting down"),
            (LifespanState::Stopped, "the service has stopped"),
        ] {
            let problem = not_ready(state);
            assert_eq!(problem.status(), http::StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(problem.detail(), Some(detail));
        }
    }
}
