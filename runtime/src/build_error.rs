//! Why an app cannot be built: every problem found at startup, reported together.

use std::fmt;

/// One reason an app cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// Two routes have the same method and path.
    DuplicateRoute {
        /// The route added first.
        first: String,
        /// The route added second.
        second: String,
    },
    /// Two path templates match the same paths ambiguously.
    PathConflict {
        /// The route that could not be added.
        route: String,
        /// The route or template it conflicts with.
        with: String,
    },
    /// Two operations have the same `operationId`.
    DuplicateOperationId {
        /// The id.
        operation_id: String,
        /// The route that has it first.
        first: String,
        /// The route that has it again.
        second: String,
    },
    /// A route takes `State<T>` but the app has no `T`.
    MissingState {
        /// The route.
        route: String,
        /// The state's type.
        type_name: &'static str,
    },
    /// `#[route(method = ..)]` named a method that is not valid.
    InvalidMethod {
        /// The route.
        route: String,
    },
    /// A route's path is empty (`#[get("")]`) and no router prefix comes before it.
    EmptyPath {
        /// The route.
        route: String,
    },
    /// A router's prefix is not a valid one.
    InvalidPrefix {
        /// The prefix.
        prefix: String,
        /// Why it is not valid.
        reason: &'static str,
    },
    /// [`App::into_service`](crate::App::into_service) was called on an app with lifespan
    /// hooks, which a service cannot run.
    HooksInService,
    /// [`App::metrics_path`](crate::App::metrics_path) is set, but the Prometheus recorder
    /// could not be installed (the program installed a `metrics` recorder of its own).
    MetricsRecorder(String),
    /// An entry of [`App::forwarded_allow_ips`](crate::App::forwarded_allow_ips) is no
    /// address, range or `*`.
    InvalidForwardedAllowIp {
        /// The entry.
        entry: String,
        /// Why it is not valid.
        reason: &'static str,
    },
    /// [`App::root_path`](crate::App::root_path) is not a valid path prefix.
    InvalidRootPath {
        /// The prefix.
        root_path: String,
        /// Why it is not valid.
        reason: &'static str,
    },
    /// The OpenAPI document is inconsistent (a bug in an extractor's description).
    Document(String),
    /// [`App::callback`](crate::App::callback) names an operation id no route has.
    CallbackWithoutOperation {
        /// The operation id given.
        operation_id: String,
        /// The callback's name.
        callback: String,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DuplicateRoute { first, second } => {
                write!(
                    f,
                    "two routes have the same method and path: {first} and {second}"
                )
            }
            Self::PathConflict { route, with } => {
                write!(
                    f,
                    "route {route} conflicts with {with}: both match the same paths"
                )
            }
            Self::DuplicateOperationId {
                operation_id,
                first,
                second,
            } => write!(
                f,
                "operation id `{operation_id}` is used by {first} and {second}; set `operation_id = ..` on one"
            ),
            Self::MissingState { route, type_name } => write!(
                f,
                "route {route} takes `State<{type_name}>`, but the app has no such state; add `.state(..)`"
            ),
            Self::InvalidMethod { route } => write!(f, "route {route} has an invalid method"),
            Self::EmptyPath { route } => write!(
                f,
                "route {route} has an empty path, which stands for its router's prefix, but no router gives it one; write \"/\""
            ),
            Self::InvalidPrefix { prefix, reason } => {
                write!(f, "router prefix `{prefix}` is not valid: {reason}")
            }
            Self::HooksInService => write!(
                f,
                "an app with startup or shutdown hooks cannot become a service: register the hooks on the app that serves it"
            ),
            Self::MetricsRecorder(reason) => write!(
                f,
                "the metrics endpoint needs oxapi's Prometheus recorder, which could not be installed: {reason}"
            ),
            Self::InvalidForwardedAllowIp { entry, reason } => {
                write!(f, "trusted proxy `{entry}` is not valid: {reason}")
            }
            Self::InvalidRootPath { root_path, reason } => {
                write!(f, "root path `{root_path}` is not valid: {reason}")
            }
            Self::Document(error) => write!(f, "the OpenAPI document is inconsistent: {error}"),
            Self::CallbackWithoutOperation {
                operation_id,
                callback,
            } => write!(
                f,
                "callback `{callback}` is for operation `{operation_id}`, which no route has"
            ),
        }
    }
}

impl std::error::Error for BuildError {}

/// Every reason an app cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildErrors(pub Vec<BuildError>);

impl fmt::Display for BuildErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the app has {} error(s)", self.0.len())?;
        for error in &self.0 {
            write!(f, "\n  - {error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for BuildErrors {}
