//! Reading the body within the route's limit; `Bytes` and `String` extractors.

use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use oxapi_openapi::FrameworkError;
use serde_json::json;

use super::{FromRequest, Rejection, Request, RequestContext};
use crate::route::OperationDoc;

/// Reads the whole body, refusing (413) one over `limit` bytes before reading it when its
/// `Content-Length` says so, and while reading it otherwise.
pub(crate) async fn read_body(request: Request, limit: usize) -> Result<Bytes, Rejection> {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(Rejection::BodyTooLarge { limit });
    }
    let body = request.into_body();
    if let Some(bytes) = body.as_full() {
        return if bytes.len() > limit {
            Err(Rejection::BodyTooLarge { limit })
        } else {
            Ok(bytes)
        };
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
            Err(Rejection::BodyTooLarge { limit })
        }
        Err(_) => Err(Rejection::BodyRead),
    }
}

impl FromRequest for Bytes {
    type Rejection = Rejection;

    fn describe(op: &mut OperationDoc<'_>) {
        op.request_body_schema("application/octet-stream", json!({}), true);
        op.error(FrameworkError::Malformed);
        op.error(FrameworkError::BodyTooLarge);
    }

    async fn from_request(request: Request, ctx: &RequestContext<'_>) -> Result<Self, Rejection> {
        read_body(request, ctx.body_limit()).await
    }
}

impl FromRequest for String {
    type Rejection = Rejection;

    fn describe(op: &mut OperationDoc<'_>) {
        op.request_body_schema("text/plain", json!({ "type": "string" }), true);
        op.error(FrameworkError::Malformed);
        op.error(FrameworkError::BodyTooLarge);
    }

    async fn from_request(request: Request, ctx: &RequestContext<'_>) -> Result<Self, Rejection> {
        let bytes = read_body(request, ctx.body_limit()).await?;
        String::from_utf8(bytes.into()).map_err(|error| Rejection::Malformed {
            detail: format!(
                "the request body is not valid UTF-8 (invalid byte at offset {})",
                error.utf8_error().valid_up_to()
            ),
        })
    }
}
