//! [`FrameworkErrorReport`]: what a framework error's response carries, so that an app can
//! render the error its own way.

use http::StatusCode;
use oxapi_openapi::FrameworkError;

use crate::problem::{FieldError, Problem};

/// A framework error, as an app's
/// [`framework_error_handler`](crate::App::framework_error_handler) is told of it: which
/// error of the catalogue, its status, its detail and, for a validation failure, every
/// invalid input.
///
/// Every response the framework makes for one of its errors (a rejected extractor, an
/// unknown path, a full pool, a panic) carries one in its extensions; nothing reads it
/// unless the app registered a handler.
#[derive(Debug, Clone)]
pub struct FrameworkErrorReport {
    kind: FrameworkError,
    problem: Problem,
}

impl FrameworkErrorReport {
    pub(crate) fn new(kind: FrameworkError, problem: Problem) -> Self {
        Self { kind, problem }
    }

    /// Which framework error this is.
    pub fn kind(&self) -> FrameworkError {
        self.kind
    }

    /// The status the framework would send.
    pub fn status(&self) -> StatusCode {
        self.problem.status()
    }

    /// What went wrong in this occurrence, for the client: `no route matches /nowhere`.
    pub fn detail(&self) -> Option<&str> {
        self.problem.detail()
    }

    /// The invalid inputs of a validation failure (each with its location, message and
    /// code); empty for the other errors.
    pub fn errors(&self) -> &[FieldError] {
        self.problem.errors()
    }

    /// The problem details the framework would send, to send them after all or to start from.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }
}
