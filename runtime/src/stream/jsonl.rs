//! JSON Lines: one JSON value per line, `application/jsonl`.

use std::marker::PhantomData;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http::HeaderValue;
use oxapi_openapi::OperationDoc;
use schemars::JsonSchema;
use serde::Serialize;

use super::body::StreamingBody;
use crate::body::BoxError;
use crate::response::{IntoResponse, Response};

const JSONL: &str = "application/jsonl";

/// A streamed response of JSON Lines (`application/jsonl`): each item of a stream, or of a
/// blocking iterator, serialized as one line of JSON.
///
/// Documented as `application/jsonl` with `T`'s schema as the media type's `schema`, marked
/// `x-oxapi-stream: jsonl`: the schema is that of each line (OpenAPI 3.2's `itemSchema`).
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::JsonLines;
///
/// #[model]
/// struct Row {
///     n: u32,
/// }
///
/// #[get("/rows")]
/// async fn rows() -> JsonLines<Row> {
///     JsonLines::new(oxapi::futures::stream::iter((1..=2).map(|n| Row { n })))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().routes(routes![rows]).test_client();
/// assert_eq!(client.get("/rows").send().await.text(), "{\"n\":1}\n{\"n\":2}\n");
/// # }
/// ```
#[must_use]
pub struct JsonLines<T> {
    body: StreamingBody,
    item: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for JsonLines<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonLines").finish_non_exhaustive()
    }
}

impl<T: Serialize + Send + 'static> JsonLines<T> {
    /// One line per item of `stream`, as it comes.
    pub fn new<S>(stream: S) -> Self
    where
        S: Stream<Item = T> + Send + 'static,
    {
        Self::of(StreamingBody::new(stream.map(|item| line(&item))))
    }

    /// One line per item of a blocking iterator; each `next()` is a job on the app's blocking
    /// pool, asked for when the connection wants more.
    #[expect(
        clippy::should_implement_trait,
        reason = "FromIterator cannot take a blocking iterator's bounds"
    )]
    pub fn from_iter<I>(iter: I) -> Self
    where
        I: IntoIterator<Item = T> + Send + 'static,
        I::IntoIter: Send + 'static,
    {
        Self::of(StreamingBody::from_iter(
            iter.into_iter().map(|item| line(&item)),
        ))
    }

    fn of(body: StreamingBody) -> Self {
        Self {
            body,
            item: PhantomData,
        }
    }
}

/// `item` as one line of JSON. Compact JSON escapes every newline, so the line is whole.
fn line<T: Serialize>(item: &T) -> Result<Bytes, BoxError> {
    let mut line = serde_json::to_vec(item)?;
    line.push(b'\n');
    Ok(line.into())
}

impl<T: Serialize + JsonSchema + Send + 'static> IntoResponse for JsonLines<T> {
    fn describe(op: &mut OperationDoc<'_>) {
        let schema = op.generator().subschema_for::<T>().to_value();
        op.success_stream(JSONL, schema, "jsonl");
    }

    fn into_response(self) -> Response {
        self.body.into_response(HeaderValue::from_static(JSONL))
    }
}
