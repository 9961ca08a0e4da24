//! [`Form<T>`]: an `application/x-www-form-urlencoded` body.

use std::future::Future;

use http::{HeaderMap, header};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use super::body::read;
use super::kind::Incoming;
use super::query::parse_pairs;
use super::{FromRequest, Rejection, Request, RequestContext};
use crate::body::Body;
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

fn is_form(headers: &HeaderMap) -> bool {
    headers
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

    fn from_request(
        request: Request,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Rejection>> + Send {
        let (head, body) = request.into_parts();
        form_body(&head.headers, body, ctx.body_limit())
    }

    fn from_incoming(
        incoming: &mut Incoming,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Rejection>> + Send {
        let (head, body) = incoming.head_and_body();
        form_body(&head.headers, body, ctx.body_limit())
    }
}

/// Reads and parses a form body. The checks that need the request's `headers` run now; the
/// future holds only the body.
fn form_body<T: DeserializeOwned + Validate + JsonSchema>(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> impl Future<Output = Result<Form<T>, Rejection>> + Send + use<T> {
    let is_form = is_form(headers);
    let body = read(headers, body, limit);
    async move {
        if !is_form {
            return Err(Rejection::UnsupportedMediaType { expected: FORM });
        }
        parse_pairs(&body.await?, "body").map(Form)
    }
}
