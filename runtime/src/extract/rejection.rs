//! Why an extractor failed, and how the failures of one request become one response.

use std::fmt;

use http::StatusCode;
use oxapi_openapi::FrameworkError;

use crate::problem::{FieldError, Problem};
use crate::response::{IntoResponse, Response};

/// Why one of oxapi's extractors rejected a request.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Rejection {
    /// The body is not well-formed (JSON syntax, bad UTF-8): 400.
    Malformed {
        /// What is wrong, with the position where known.
        detail: String,
    },
    /// The body's media type is not the one the extractor reads: 415.
    UnsupportedMediaType {
        /// The media type the extractor expects.
        expected: &'static str,
    },
    /// The body is larger than the route accepts: 413.
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The request could not be read to its end (the client went away, for instance): 400.
    BodyRead,
    /// One part of a multipart body is larger than the configured limit: 413.
    PartTooLarge {
        /// The part's name (empty if it has none).
        name: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// A multipart body has more parts than the configured limit: 413.
    TooManyParts {
        /// The most parts accepted.
        limit: usize,
    },
    /// An upload could not be written to its temporary file (a full disk, for instance): 500,
    /// logged where it happened.
    Storage,
    /// Values have the wrong type, are missing or fail validation: 422, one entry per value.
    Invalid(Vec<FieldError>),
    /// A handler asked for state the app was not given: 500. The app checks this at startup,
    /// so it only happens with a custom extractor that asks for state at run time.
    MissingState {
        /// The state's type name.
        type_name: &'static str,
    },
}

/// Marks a 422 response whose field errors can be merged with others of the same request.
#[derive(Debug, Clone)]
struct FieldErrors(Vec<FieldError>);

impl Rejection {
    /// The response status.
    pub fn status(&self) -> StatusCode {
        Problem::from(self.error()).status()
    }

    /// The framework error this rejection is, in the catalogue.
    pub fn error(&self) -> FrameworkError {
        match self {
            Self::Malformed { .. } | Self::BodyRead => FrameworkError::Malformed,
            Self::UnsupportedMediaType { .. } => FrameworkError::UnsupportedMediaType,
            Self::BodyTooLarge { .. } | Self::PartTooLarge { .. } | Self::TooManyParts { .. } => {
                FrameworkError::BodyTooLarge
            }
            Self::Storage => FrameworkError::Internal,
            Self::Invalid(_) => FrameworkError::Validation,
            Self::MissingState { .. } => FrameworkError::Internal,
        }
    }

    /// One invalid value.
    pub fn invalid(error: FieldError) -> Self {
        Self::Invalid(vec![error])
    }

    /// The problem details sent for this rejection.
    pub fn problem(&self) -> Problem {
        let problem = Problem::from(self.error());
        match self {
            Self::Malformed { detail } => problem.with_detail(detail.clone()),
            Self::UnsupportedMediaType { expected } => {
                problem.with_detail(format!("expected a request body of type `{expected}`"))
            }
            Self::BodyTooLarge { limit } => {
                problem.with_detail(format!("the request body is larger than {limit} bytes"))
            }
            Self::BodyRead => problem.with_detail("the request body could not be read"),
            Self::PartTooLarge { name, limit } => problem.with_detail(format!(
                "the multipart part `{name}` is larger than {limit} bytes"
            )),
            Self::TooManyParts { limit } => {
                problem.with_detail(format!("the multipart body has more than {limit} parts"))
            }
            Self::Storage => problem,
            Self::Invalid(errors) => validation_problem(errors.clone()),
            Self::MissingState { .. } => problem,
        }
    }
}

fn validation_problem(errors: Vec<FieldError>) -> Problem {
    let detail = match errors.len() {
        1 => "1 input is invalid".to_owned(),
        n => format!("{n} inputs are invalid"),
    };
    Problem::from(FrameworkError::Validation)
        .with_detail(detail)
        .with_errors(errors)
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed { detail } => write!(f, "malformed request body: {detail}"),
            Self::UnsupportedMediaType { expected } => write!(f, "expected media type {expected}"),
            Self::BodyTooLarge { limit } => write!(f, "request body over {limit} bytes"),
            Self::BodyRead => f.write_str("request body could not be read"),
            Self::PartTooLarge { name, limit } => {
                write!(f, "multipart part {name:?} over {limit} bytes")
            }
            Self::TooManyParts { limit } => write!(f, "multipart body over {limit} parts"),
            Self::Storage => f.write_str("upload could not be stored"),
            Self::Invalid(errors) => write!(f, "{} invalid inputs", errors.len()),
            Self::MissingState { type_name } => write!(f, "no state of type {type_name}"),
        }
    }
}

impl std::error::Error for Rejection {}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        if let Self::MissingState { type_name } = &self {
            tracing::error!(type_name, "a handler asked for state the app was not given");
        }
        let mut response = self.problem().to_response();
        if let Self::Invalid(errors) = self {
            response.extensions_mut().insert(FieldErrors(errors));
        }
        response
    }
}

/// Collects the failures of one request's extractors, so that the client learns about every
/// invalid value at once instead of one per attempt.
#[derive(Debug, Default)]
pub struct Rejections {
    fields: Vec<FieldError>,
    /// Boxed: every handler's future holds a `Rejections`, and a response is large.
    other: Option<Box<Response>>,
}

impl Rejections {
    /// No failures yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value, or `None` after recording why there is none.
    pub fn take<T, R: IntoResponse>(&mut self, result: Result<T, R>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(rejection) => {
                self.reject(rejection.into_response());
                None
            }
        }
    }

    pub(crate) fn push(&mut self, error: FieldError) {
        self.fields.push(error);
    }

    fn reject(&mut self, mut response: Response) {
        if response.status().as_u16() == FrameworkError::Validation.spec().status
            && let Some(FieldErrors(errors)) = response.extensions_mut().remove::<FieldErrors>()
        {
            self.fields.extend(errors);
            return;
        }
        // A failure that is not about a value's content (415, 413, 400, a custom
        // extractor's response) stands alone: the first one is sent.
        if self.other.is_none() {
            self.other = Some(Box::new(response));
        }
    }

    /// The response for everything collected.
    pub fn into_response(self) -> Response {
        match self.other {
            Some(response) => *response,
            None => validation_problem(self.fields).to_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_invalid_values_from_several_extractors() {
        let mut rejections = Rejections::new();
        rejections.push(FieldError::new("path.id", "invalid", "not an integer"));
        let _: Option<()> = rejections.take(Err(Rejection::invalid(FieldError::new(
            "query.limit",
            "range",
            "too big",
        ))));
        let response = rejections.into_response();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = response.body().as_full().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["errors"].as_array().unwrap().len(), 2);
        assert_eq!(json["errors"][0]["location"], "path.id");
        assert_eq!(json["errors"][1]["location"], "query.limit");
    }

    #[test]
    fn a_non_field_failure_wins() {
        let mut rejections = Rejections::new();
        rejections.push(FieldError::new("path.id", "invalid", "not an integer"));
        let _: Option<()> = rejections.take(Err(Rejection::UnsupportedMediaType {
            expected: "application/json",
        }));
        assert_eq!(
            rejections.into_response().status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
    }
}
