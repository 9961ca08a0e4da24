//! [`StaticFiles`]: a directory served under a mount prefix, with no way out of it.

use std::convert::Infallible;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::ALLOW;
use http::{HeaderValue, Method};
use oxapi_openapi::FrameworkError;
use percent_encoding::percent_decode_str;

use super::request::FileRequest;
use super::response::FileResponse;
use crate::body::Body;
use crate::handler::Request;
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};

/// Serves the files under a directory: mount it at a prefix with
/// [`App::static_files`](crate::App::static_files) (or `App::mount`). Each file is a
/// [`FileResponse`]: content type, `ETag`, `Last-Modified`, 304, ranges and `HEAD`. A
/// directory serves its `index.html`.
///
/// No request reaches outside the directory: each path segment is percent-decoded once, and a
/// segment that is `.` or `..` or holds `/`, `\`, `:` or NUL after decoding is a 404 (so
/// `%2e%2e`, `%2f` and `..\` are refused as plainly as `..`). Symbolic links are followed
/// when their target is inside the directory and refused (404) when it is not: the resolved
/// path must stay under the resolved root. Methods other than GET and HEAD get 405.
#[derive(Debug, Clone)]
pub struct StaticFiles {
    root: Arc<Path>,
}

impl StaticFiles {
    /// Serves the files under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        // Resolved once, so each request compares against the real directory; a root that
        // does not exist yet is resolved (and refuses everything) as it is.
        let root = std::fs::canonicalize(&root).unwrap_or(root);
        Self { root: root.into() }
    }

    async fn serve(root: Arc<Path>, request: Request) -> Response {
        let method = request.method();
        if method != Method::GET && method != Method::HEAD {
            let mut response = Problem::from(FrameworkError::MethodNotAllowed)
                .with_detail(format!(
                    "{method} is not allowed on static files; allowed: GET, HEAD"
                ))
                .into_response();
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        let head = method == Method::HEAD;
        let conditions = FileRequest::new(method, request.headers());
        // The path's checks, the file's opening and its metadata in one trip to a blocking
        // thread (each `tokio::fs` call would be a trip of its own).
        let uri_path = request.uri().path().to_owned();
        let opened = tokio::task::spawn_blocking(move || {
            resolve(&root, &uri_path).map(|path| FileResponse::open_blocking(&path))
        })
        .await;
        let mut response = match opened {
            Ok(Some(Ok(file))) => file.for_request(conditions).into_response(),
            Ok(Some(Err(error))) => error.into_response(),
            Ok(None) => return not_found(request.uri().path()),
            Err(error) => crate::error::ApiError::internal(error).into_response(),
        };
        if head {
            *response.body_mut() = Body::empty();
        }
        response
    }
}

fn not_found(path: &str) -> Response {
    Problem::from(FrameworkError::NotFound)
        .with_detail(format!("no file at {path}"))
        .into_response()
}

/// The file `uri_path` names under `root`, if it is one and stays under `root` once every
/// symbolic link is resolved; a directory's `index.html`.
/// Blocks: it reads the file system.
fn resolve(root: &Path, uri_path: &str) -> Option<PathBuf> {
    let mut path = root.join(relative_path(uri_path)?);
    if std::fs::metadata(&path).ok()?.is_dir() {
        path.push("index.html");
    }
    let resolved = std::fs::canonicalize(&path).ok()?;
    resolved.starts_with(root).then_some(resolved)
}

/// The relative path `uri_path` names, or `None` if a segment could step out of the root or
/// name something other than a plain file name.
fn relative_path(uri_path: &str) -> Option<PathBuf> {
    let mut path = PathBuf::new();
    for segment in uri_path.split('/').filter(|segment| !segment.is_empty()) {
        let segment = percent_decode_str(segment).decode_utf8().ok()?;
        if segment == "." || segment == ".." || segment.contains(['/', '\\', ':', '\0']) {
            return None;
        }
        path.push(&*segment);
    }
    Some(path)
}

impl tower_service::Service<Request> for StaticFiles {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let root = Arc::clone(&self.root);
        Box::pin(async move { Ok(Self::serve(root, request).await) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_could_leave_the_root_are_refused() {
        let refused = [
            "/../etc/passwd",
            "/a/../../b",
            "/%2e%2e/secret",
            "/%2E%2E/secret",
            "/a/%2e%2e%2fsecret",
            "/..%2fsecret",
            "/a%2fb",
            "/..\\secret",
            "/a%5c..%5csecret",
            "/./a",
            "/%2e/a",
            "/c:/windows",
            "/a%00b",
            "/%ff",
        ];
        for path in refused {
            assert_eq!(relative_path(path), None, "{path}");
        }
    }

    #[test]
    fn plain_paths_are_kept() {
        let kept = [
            ("/", ""),
            ("/a.txt", "a.txt"),
            ("/dir//a.txt", "dir/a.txt"),
            ("/with%20space.txt", "with space.txt"),
            ("/a..b.txt", "a..b.txt"),
        ];
        for (path, expected) in kept {
            assert_eq!(relative_path(path), Some(PathBuf::from(expected)), "{path}");
        }
    }
}
