//! [`FileResponse`]: a file streamed from disk, with its validators, ranges and conditions.

use std::io::{self, SeekFrom};
use std::path::Path;

use bytes::BytesMut;
use futures_util::stream;
use http::header::{
    ACCEPT_RANGES, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG,
    LAST_MODIFIED,
};
use http::{HeaderValue, StatusCode};
use http_body::Frame;
use oxapi_openapi::{FrameworkError, OperationDoc};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::range::{self, Ranges};
use super::request::{FileRequest, Validators};
use crate::body::Body;
use crate::error::ApiError;
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};

/// The size of each chunk read from disk.
const CHUNK: usize = 64 * 1024;

/// A file streamed from disk, a chunk at a time, with its `Content-Type` (from its extension),
/// `ETag`, `Last-Modified` and `Accept-Ranges: bytes`.
///
/// With the request's [`FileRequest`] ([`for_request`](Self::for_request)) it also answers
/// `304 Not Modified` to `If-None-Match` / `If-Modified-Since`, `206 Partial Content` to a
/// `Range` (one range; ranges that overlap or touch are merged, several apart get the whole
/// file with 200), and `416` with `Content-Range: bytes */LENGTH` when no range is in the file.
/// `HEAD` gets the headers alone.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::{FileRequest, FileResponse};
///
/// #[get("/report")]
/// async fn report(request: FileRequest) -> Result<FileResponse, ApiError> {
///     # let path = std::env::temp_dir().join("oxapi-doctest-report.txt");
///     # oxapi::tokio::fs::write(&path, "0123456789").await.unwrap();
///     Ok(FileResponse::open(path).await?.for_request(request))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().routes(routes![report]).test_client();
/// let response = client.get("/report").header("range", "bytes=2-4").send().await;
/// assert_eq!(response.status(), 206);
/// assert_eq!(response.text(), "234");
/// assert_eq!(response.header("content-range"), Some("bytes 2-4/10"));
/// # }
/// ```
#[derive(Debug)]
pub struct FileResponse {
    file: tokio::fs::File,
    length: u64,
    validators: Validators,
    content_type: HeaderValue,
    disposition: Option<HeaderValue>,
    request: FileRequest,
}

impl FileResponse {
    /// Opens the file at `path`.
    ///
    /// # Errors
    ///
    /// 404 if there is no file there (or it is a directory), 500 if it cannot be read.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, ApiError> {
        let path = path.as_ref().to_owned();
        // One trip to a blocking thread for both calls: each `tokio::fs` call is a trip.
        tokio::task::spawn_blocking(move || Self::open_blocking(&path))
            .await
            .map_err(ApiError::internal)?
    }

    /// [`open`](Self::open) on the calling thread, which may block.
    pub(crate) fn open_blocking(path: &Path) -> Result<Self, ApiError> {
        let not_found = || ApiError::not_found("no such file");
        let file = std::fs::File::open(path).map_err(|error| match error.kind() {
            io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => not_found(),
            _ => ApiError::internal(error),
        })?;
        let metadata = file.metadata().map_err(ApiError::internal)?;
        if !metadata.is_file() {
            return Err(not_found());
        }
        Ok(Self::new(tokio::fs::File::from_std(file), &metadata, path))
    }

    /// The response for `file`, of `metadata`, typed by the extension of `path`.
    pub(crate) fn new(file: tokio::fs::File, metadata: &std::fs::Metadata, path: &Path) -> Self {
        let mime = mime_guess::from_path(path).first_or_octet_stream();
        Self {
            file,
            length: metadata.len(),
            validators: Validators::of(metadata),
            content_type: HeaderValue::from_str(mime.as_ref())
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            disposition: None,
            request: FileRequest::default(),
        }
    }

    /// Answers as `request` asks: 304, 206 or 416 where its headers say so.
    #[must_use]
    pub fn for_request(mut self, request: FileRequest) -> Self {
        self.request = request;
        self
    }

    /// Sets the `Content-Type` instead of the one guessed from the extension.
    #[must_use]
    pub fn content_type(mut self, content_type: &'static str) -> Self {
        self.content_type = HeaderValue::from_static(content_type);
        self
    }

    /// Asks the browser to save the file as `file_name` (`Content-Disposition: attachment`).
    /// Characters outside printable ASCII, and quotes and backslashes, become `_`.
    #[must_use]
    pub fn attachment(mut self, file_name: &str) -> Self {
        let safe: String = file_name
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.disposition = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")).ok();
        self
    }

    fn validator_headers(&self, response: &mut Response) {
        let headers = response.headers_mut();
        if let Ok(etag) = HeaderValue::from_str(&self.validators.etag) {
            headers.insert(ETAG, etag);
        }
        if let Some(modified) = self.validators.modified
            && let Ok(date) = HeaderValue::from_str(&httpdate::fmt_http_date(modified))
        {
            headers.insert(LAST_MODIFIED, date);
        }
    }
}

impl IntoResponse for FileResponse {
    fn describe(op: &mut OperationDoc<'_>) {
        crate::response::describe_bytes(op);
        op.response_schema(206, "application/octet-stream", serde_json::json!({}));
        op.response_empty(304, Some(("ETag", "The file's entity tag.")));
        op.error(FrameworkError::RangeNotSatisfiable);
    }

    fn into_response(self) -> Response {
        if self.request.not_modified(&self.validators) {
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            self.validator_headers(&mut response);
            return response;
        }
        let ranges = self
            .request
            .range(&self.validators)
            .map_or(Ranges::Whole, |value| range::parse(value, self.length));
        let (status, bytes) = match ranges {
            Ranges::Whole => (StatusCode::OK, None),
            Ranges::One(bytes) => (StatusCode::PARTIAL_CONTENT, Some(bytes)),
            Ranges::Unsatisfiable => {
                let mut response = Problem::from(FrameworkError::RangeNotSatisfiable)
                    .with_detail(format!("the file has {} bytes", self.length))
                    .into_response();
                if let Ok(value) = HeaderValue::from_str(&format!("bytes */{}", self.length)) {
                    response.headers_mut().insert(CONTENT_RANGE, value);
                }
                return response;
            }
        };
        let (start, length) = bytes.as_ref().map_or((0, self.length), |bytes| {
            (*bytes.start(), bytes.end() - bytes.start() + 1)
        });
        let mut response = Response::new(Body::empty());
        *response.status_mut() = status;
        self.validator_headers(&mut response);
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, self.content_type);
        headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
        if let Some(bytes) = bytes
            && let Ok(value) = HeaderValue::from_str(&format!(
                "bytes {}-{}/{}",
                bytes.start(),
                bytes.end(),
                self.length
            ))
        {
            headers.insert(CONTENT_RANGE, value);
        }
        if let Some(disposition) = self.disposition {
            headers.insert(CONTENT_DISPOSITION, disposition);
        }
        *response.body_mut() = file_body(self.file, start, length);
        response
    }
}

/// `length` bytes of `file` from `start`, read a chunk at a time as the connection takes
/// them. A file that shrank under us ends the body with an error, so hyper cuts the
/// response short rather than send fewer bytes than its `Content-Length` promised.
fn file_body(file: tokio::fs::File, start: u64, length: u64) -> Body {
    let chunks = stream::try_unfold(
        (file, start, length, false),
        |(mut file, start, remaining, positioned)| async move {
            if remaining == 0 {
                return Ok(None);
            }
            if !positioned && start > 0 {
                file.seek(SeekFrom::Start(start)).await?;
            }
            let want = usize::try_from(remaining).unwrap_or(CHUNK).min(CHUNK);
            let mut chunk = BytesMut::with_capacity(want);
            while chunk.len() < want {
                let missing = (want - chunk.len()) as u64;
                if (&mut file).take(missing).read_buf(&mut chunk).await? == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the file shrank",
                    ));
                }
            }
            let remaining = remaining - want as u64;
            Ok(Some((
                Frame::data(chunk.freeze()),
                (file, start, remaining, true),
            )))
        },
    );
    Body::new(http_body_util::StreamBody::new(chunks))
}
