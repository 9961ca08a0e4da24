//! Reading the body within the route's limit; `Bytes` and `String` extractors.

use std::future::Future;

use bytes::Bytes;
use bytes::BytesMut;
use http::HeaderMap;
use http::header::CONTENT_LENGTH;
use http_body_util::BodyExt;

use crate::body::Body;

use oxapi_openapi::FrameworkError;
use serde_json::json;

use super::kind::Incoming;
use super::{FromRequest, Rejection, Request, RequestContext};
use oxapi_openapi::OperationDoc;

/// Reads the whole body, refusing (413) one over `limit` bytes before reading it when its
/// `Content-Length` says so, and while reading it otherwise.
///
/// The request is taken apart now, not when the future is first polled, so the future holds
/// only the body: it lives inside each handler's future, which is smaller for it.
pub(crate) fn read_body(
    request: Request,
    limit: usize,
) -> impl Future<Output = Result<Bytes, Rejection>> + Send + 'static {
    let (parts, body) = request.into_parts();
    read(&parts.headers, body, limit)
}

/// [`read_body`] of a request already taken apart: its `headers` and its `body`.
pub(crate) fn read(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> impl Future<Output = Result<Bytes, Rejection>> + Send + 'static + use<> {
    let declared = declared_length(headers);
    let too_large = declared.is_some_and(|length| length > limit as u64);
    collect(body, limit, declared, too_large)
}

/// The body's length as its `Content-Length` declares it, if it does.
pub(crate) fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok())
}

/// Reads every data frame. A body that arrives in one frame (the usual case for small
/// bodies, and always for a body built in memory) is kept as it is, with no copy.
async fn collect(
    mut body: Body,
    limit: usize,
    declared: Option<u64>,
    too_large: bool,
) -> Result<Bytes, Rejection> {
    if too_large {
        return Err(Rejection::BodyTooLarge { limit });
    }
    let mut first: Option<Bytes> = None;
    let mut joined: Option<BytesMut> = None;
    let mut length = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(Rejection::BodyRead);
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        length += data.len();
        if length > limit {
            return Err(Rejection::BodyTooLarge { limit });
        }
        match (&mut first, &mut joined) {
            (None, None) => first = Some(data),
            (Some(head), None) => {
                let capacity = declared.map_or(length, |d| d as usize).max(length);
                let mut buffer = BytesMut::with_capacity(capacity);
                buffer.extend_from_slice(head);
                buffer.extend_from_slice(&data);
                joined = Some(buffer);
                first = None;
            }
            (_, Some(buffer)) => buffer.extend_from_slice(&data),
        }
    }
    Ok(match (first, joined) {
        (_, Some(buffer)) => buffer.freeze(),
        (Some(bytes), None) => bytes,
        (None, None) => Bytes::new(),
    })
}

/// Documents a body of any bytes, and the errors of reading one within the limit.
pub(crate) fn describe_raw_body(op: &mut OperationDoc<'_>) {
    op.request_body_schema("application/octet-stream", json!({}), true);
    op.error(FrameworkError::Malformed);
    op.error(FrameworkError::BodyTooLarge);
}

impl FromRequest for Bytes {
    type Rejection = Rejection;

    fn describe(op: &mut OperationDoc<'_>) {
        describe_raw_body(op);
    }

    fn from_request(
        request: Request,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Rejection>> + Send {
        read_body(request, ctx.body_limit())
    }

    fn from_incoming(
        incoming: &mut Incoming,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Rejection>> + Send {
        let (head, body) = incoming.head_and_body();
        read(&head.headers, body, ctx.body_limit())
    }
}

impl FromRequest for String {
    type Rejection = Rejection;

    fn describe(op: &mut OperationDoc<'_>) {
        op.request_body_schema("text/plain", json!({ "type": "string" }), true);
        op.error(FrameworkError::Malformed);
        op.error(FrameworkError::BodyTooLarge);
    }

    fn from_request(
        request: Request,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Rejection>> + Send {
        text(read_body(request, ctx.body_limit()))
    }

    fn from_incoming(
        incoming: &mut Incoming,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Rejection>> + Send {
        let (head, body) = incoming.head_and_body();
        text(read(&head.headers, body, ctx.body_limit()))
    }
}

/// The body `bytes` will read, as UTF-8 text.
async fn text(bytes: impl Future<Output = Result<Bytes, Rejection>>) -> Result<String, Rejection> {
    String::from_utf8(bytes.await?.into()).map_err(|error| Rejection::Malformed {
        detail: format!(
            "the request body is not valid UTF-8 (invalid byte at offset {})",
            error.utf8_error().valid_up_to()
        ),
    })
}
