//! [`Form<T>`]: an `application/x-www-form-urlencoded` body.

use std::future::Future;

use http::header;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use super::body::read_body;
use super::query::parse_pairs;
use super::{FromRequest, Rejection, Request, RequestContext};
use crate::validate::Validate;
use oxapi_openapi::OperationDoc;

/// A URL-encoded form body (`application/x-www-form-urlencoded`), deserialized into `T` and
/// validated. Failures are 415, 413 or 422 as for [`Json`](crate::Json).
#[derive(Debug, Clone, Copy, Default)]
pub struct Form<T>(pub T);

impl<T> std::ops::Deref for Form<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

fn is_form(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(FORM))
}

impl<T: DeserializeOwned + Validate + JsonSchema + Send> FromRequest for Form<T> {
    type Rejection = Rejection;

    fn describe(op: &mut OperationDoc<'_>) {
        op.request_body::<T>(FORM, true);
        op.errors(&oxapi_openapi::FrameworkError::PARSED_BODY);
    }

    /// The checks that need the request's head run now; the future holds only the body.
    fn from_request(
        request: Request,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Rejection>> + Send {
        let is_form = is_form(&request);
        let body = read_body(request, ctx.body_limit());
        async move {
            if !is_form {
                return Err(Rejection::UnsupportedMediaType { expected: FORM });
            }
            parse_pairs(&body.await?, "body").map(Form)
        }
    }
}
