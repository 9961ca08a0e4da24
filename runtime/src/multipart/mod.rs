//! Multipart uploads (`multipart/form-data`), streamed with multer: [`Multipart`] reads the
//! parts one by one, [`UploadFile`] holds a file part (spooled to disk past a size),
//! [`MultipartForm`] reads a whole form into a struct.

mod config;
mod error;
mod form;
mod upload_file;

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http::HeaderMap;
use oxapi_openapi::{FrameworkError, OperationDoc};

use crate::body::Body;
use crate::context::RequestContext;
use crate::extract::kind::Incoming;
use crate::extract::{BodyStream, FromRequest, Rejection};
use crate::handler::Request;

pub use config::{DEFAULT_MAX_PARTS, DEFAULT_PART_LIMIT, DEFAULT_SPOOL_THRESHOLD, MultipartConfig};
pub use form::{FormPart, FromMultipart, MultipartForm, field_index, form_schema};
pub use upload_file::{UploadFile, UploadReader};

const MULTIPART: &str = "multipart/form-data";

/// A `multipart/form-data` body, read part by part as it arrives: nothing is held in memory
/// unless a handler asks ([`Field::bytes`]), or an [`UploadFile`] under its spool threshold.
///
/// Limits: the whole body is held to the route's body limit, each part to
/// [`MultipartConfig::part_limit`], the count of parts to [`MultipartConfig::max_parts`] (each
/// over its limit: 413). A body that is not `multipart/form-data` is a 415; one without a
/// boundary, truncated, or with a part that has no name is a 400. [`next_field`](Self::next_field)
/// returns these as a [`Rejection`], which `?` passes on as its problem.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::{Multipart, Rejection};
///
/// #[post("/upload")]
/// async fn upload(mut form: Multipart) -> Result<String, Rejection> {
///     let mut names = Vec::new();
///     while let Some(mut field) = form.next_field().await? {
///         let mut size = 0;
///         while let Some(chunk) = field.chunk().await? {
///             size += chunk.len();
///         }
///         names.push(format!("{}={size}", field.name()));
///     }
///     Ok(names.join(","))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().routes(routes![upload]).test_client();
/// let body = "--X\r\ncontent-disposition: form-data; name=\"a\"\r\n\r\nhello\r\n--X--\r\n";
/// let response = client
///     .post("/upload")
///     .header("content-type", "multipart/form-data; boundary=X")
///     .body(body)
///     .send()
///     .await;
/// assert_eq!(response.text(), "a=5");
/// # }
/// ```
#[derive(Debug)]
pub struct Multipart {
    inner: multer::Multipart<'static>,
    config: Arc<MultipartConfig>,
    parts: usize,
}

impl Multipart {
    /// The next part, or `None` after the last.
    ///
    /// # Errors
    ///
    /// The body is malformed or over a limit, or a part has no name; after an error, no
    /// more parts are read.
    pub async fn next_field(&mut self) -> Result<Option<Field>, Rejection> {
        let Some(inner) = self.inner.next_field().await.map_err(error::rejection)? else {
            return Ok(None);
        };
        self.parts += 1;
        if self.parts > self.config.max_parts_value() {
            return Err(Rejection::TooManyParts {
                limit: self.config.max_parts_value(),
            });
        }
        let name = match inner.name() {
            Some(name) if !name.is_empty() => name.to_owned(),
            _ => {
                return Err(error::malformed(
                    "a part of the multipart body has no name in its Content-Disposition",
                ));
            }
        };
        Ok(Some(Field {
            inner,
            name,
            config: Arc::clone(&self.config),
        }))
    }

    /// The limits this body is read under.
    pub fn config(&self) -> &MultipartConfig {
        &self.config
    }

    /// Reads a multipart body from its request `headers` and `body`, with the whole body held
    /// to `limit`.
    fn new(
        headers: &HeaderMap,
        body: Body,
        limit: usize,
        config: Arc<MultipartConfig>,
    ) -> Result<Self, Rejection> {
        let boundary = boundary(headers)?;
        let stream = BodyStream::of(headers, body, limit)?;
        let constraints = multer::Constraints::new()
            .size_limit(multer::SizeLimit::new().per_field(config.part_limit_value()));
        Ok(Self {
            inner: multer::Multipart::with_constraints(stream, boundary, constraints),
            config,
            parts: 0,
        })
    }
}

/// The boundary of a `multipart/form-data` body: 415 for another media type, 400 without one.
fn boundary(headers: &HeaderMap) -> Result<String, Rejection> {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case(MULTIPART) {
        return Err(Rejection::UnsupportedMediaType {
            expected: MULTIPART,
        });
    }
    multer::parse_boundary(content_type).map_err(|_| error::no_boundary())
}

/// The app's [`MultipartConfig`], or the default.
fn config_of(ctx: &RequestContext<'_>) -> Arc<MultipartConfig> {
    ctx.state::<MultipartConfig>()
        .map_or_else(|| Arc::new(MultipartConfig::default()), Arc::clone)
}

/// Documents a multipart body of any parts, and the errors of reading one.
fn describe_any(op: &mut OperationDoc<'_>) {
    op.request_body_schema(MULTIPART, serde_json::json!({ "type": "object" }), true);
    describe_errors(op);
}

/// The errors a multipart body can meet.
fn describe_errors(op: &mut OperationDoc<'_>) {
    op.error(FrameworkError::Malformed);
    op.error(FrameworkError::BodyTooLarge);
    op.error(FrameworkError::UnsupportedMediaType);
}

impl FromRequest for Multipart {
    type Rejection = Rejection;

    fn describe(op: &mut OperationDoc<'_>) {
        describe_any(op);
    }

    fn from_request(
        request: Request,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Rejection>> + Send {
        let (parts, body) = request.into_parts();
        std::future::ready(Self::new(
            &parts.headers,
            body,
            ctx.body_limit(),
            config_of(ctx),
        ))
    }

    fn from_incoming(
        incoming: &mut Incoming,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Rejection>> + Send {
        let config = config_of(ctx);
        let (head, body) = incoming.head_and_body();
        std::future::ready(Self::new(&head.headers, body, ctx.body_limit(), config))
    }
}

/// One part of a [`Multipart`] body, read as it arrives. Read it before asking for the next
/// part: the parts come one after the other over the connection.
#[derive(Debug)]
pub struct Field {
    inner: multer::Field<'static>,
    name: String,
    config: Arc<MultipartConfig>,
}

impl Field {
    /// The form field's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file name the client sent (file parts only), as it sent it.
    pub fn file_name(&self) -> Option<&str> {
        self.inner.file_name()
    }

    /// The part's `Content-Type`, if it has one.
    pub fn content_type(&self) -> Option<&str> {
        self.inner.content_type().map(|mime| mime.essence_str())
    }

    /// The part's headers.
    pub fn headers(&self) -> &HeaderMap {
        self.inner.headers()
    }

    /// The next chunk of the part, or `None` at its end.
    ///
    /// # Errors
    ///
    /// As [`Multipart::next_field`].
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Rejection> {
        self.inner.chunk().await.map_err(error::rejection)
    }

    /// The whole part in memory.
    ///
    /// # Errors
    ///
    /// As [`Multipart::next_field`].
    pub async fn bytes(self) -> Result<Bytes, Rejection> {
        self.inner.bytes().await.map_err(error::rejection)
    }

    /// The whole part as UTF-8 text; 422 at `body.<name>` if it is not.
    ///
    /// # Errors
    ///
    /// As [`Multipart::next_field`], or the part is not UTF-8.
    pub async fn text(self) -> Result<String, Rejection> {
        let location = format!("body.{}", self.name);
        let bytes = self.bytes().await?;
        String::from_utf8(bytes.into()).map_err(|_| {
            Rejection::invalid(crate::FieldError::new(location, "type", "not UTF-8 text"))
        })
    }

    /// The whole part as an [`UploadFile`]: in memory under the spool threshold, in a
    /// temporary file past it.
    ///
    /// # Errors
    ///
    /// As [`Multipart::next_field`], or the temporary file could not be written (500).
    pub async fn upload(self) -> Result<UploadFile, Rejection> {
        let config = Arc::clone(&self.config);
        UploadFile::spool(self, &config).await
    }
}
