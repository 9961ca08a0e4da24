//! [`CsrfGuard`]: cross-site request forgery protection by the browser's own headers.

use http::header::{HOST, ORIGIN};
use http::request::Parts;
use http::{HeaderMap, Method, Uri};
use oxapi_openapi::{FrameworkError, OperationDoc};

use crate::context::RequestContext;
use crate::extract::FromRequestParts;
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};

/// Refuses a cross-site request that could change something (any method but `GET`, `HEAD`,
/// `OPTIONS`) with a 403 problem, so a page on another site cannot post a form to a route
/// that trusts the browser's cookies.
///
/// It reads what the browser says of the request's origin, as Go's
/// `http.CrossOriginProtection` does: `Sec-Fetch-Site` (sent by every current browser)
/// must be `same-origin` or `none` (typed by the user); without it, an `Origin` header must
/// name the request's own host. A request with neither is no browser's cross-site request
/// (a curl, a server), and passes. No token is kept, set or posted, so forms and clients need
/// no change. Pair it with `SameSite=Lax` or `Strict` session cookies, which older browsers
/// that send neither header do not attach to cross-site posts.
///
/// Register it for every route with [`App::dependency`](crate::App::dependency), or for a
/// router's; a route without it pays nothing.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::cookies::CsrfGuard;
///
/// #[post("/transfer")]
/// async fn transfer() -> &'static str { "sent" }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().dependency::<CsrfGuard>().routes(routes![transfer]).test_client();
/// let forged = client.post("/transfer").header("sec-fetch-site", "cross-site").send().await;
/// assert_eq!(forged.status(), 403);
/// let own = client.post("/transfer").header("sec-fetch-site", "same-origin").send().await;
/// assert_eq!(own.text(), "sent");
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CsrfGuard;

/// Why [`CsrfGuard`] refused a request: a 403 problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrossSiteRequest;

impl IntoResponse for CrossSiteRequest {
    fn describe(op: &mut OperationDoc<'_>) {
        op.error(FrameworkError::Forbidden);
    }

    fn into_response(self) -> Response {
        Problem::from(FrameworkError::Forbidden)
            .with_detail("cross-site request refused")
            .render()
    }
}

impl CsrfGuard {
    /// Whether a request with `method`, `headers` and `uri` may go on.
    fn allows(method: &Method, headers: &HeaderMap, uri: &Uri) -> bool {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return true;
        }
        if let Some(site) = headers.get("sec-fetch-site") {
            return matches!(site.as_bytes(), b"same-origin" | b"none");
        }
        let Some(origin) = headers.get(ORIGIN) else {
            return true;
        };
        // `Origin: null` (a sandboxed frame, a privacy redirect) names no host: refused.
        let origin_host = origin
            .to_str()
            .ok()
            .and_then(|origin| origin.split_once("://"))
            .map(|(_, host)| host);
        // HTTP/1.1 names the host in `Host`, HTTP/2 in the `:authority` hyper puts in the URI.
        let own_host = headers
            .get(HOST)
            .and_then(|host| host.to_str().ok())
            .or_else(|| uri.authority().map(|authority| authority.as_str()));
        matches!((origin_host, own_host), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b))
    }
}

impl FromRequestParts for CsrfGuard {
    type Rejection = CrossSiteRequest;

    async fn from_request_parts(
        parts: &mut Parts,
        _ctx: &RequestContext<'_>,
    ) -> Result<Self, CrossSiteRequest> {
        if Self::allows(&parts.method, &parts.headers, &parts.uri) {
            Ok(Self)
        } else {
            Err(CrossSiteRequest)
        }
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.error(FrameworkError::Forbidden);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(method: Method, headers: &[(&str, &str)]) -> bool {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        CsrfGuard::allows(&method, &map, &Uri::from_static("/"))
    }

    /// A request's method and headers, and whether the guard lets it through.
    type Case = (Method, &'static [(&'static str, &'static str)], bool);

    #[test]
    fn decides_by_fetch_metadata_then_origin() {
        let cases: &[Case] = &[
            (Method::GET, &[("sec-fetch-site", "cross-site")], true),
            (Method::POST, &[("sec-fetch-site", "cross-site")], false),
            (Method::POST, &[("sec-fetch-site", "same-site")], false),
            (Method::POST, &[("sec-fetch-site", "same-origin")], true),
            (Method::POST, &[("sec-fetch-site", "none")], true),
            (Method::POST, &[], true),
            (
                Method::POST,
                &[("origin", "https://a.test"), ("host", "a.test")],
                true,
            ),
            (
                Method::POST,
                &[("origin", "https://evil.test"), ("host", "a.test")],
                false,
            ),
            (
                Method::POST,
                &[("origin", "null"), ("host", "a.test")],
                false,
            ),
            (
                Method::DELETE,
                &[("origin", "http://a.test:8080"), ("host", "a.test:8080")],
                true,
            ),
            (
                Method::PUT,
                &[("origin", "http://a.test:8081"), ("host", "a.test:8080")],
                false,
            ),
        ];
        for (method, headers, expected) in cases {
            assert_eq!(
                allows(method.clone(), headers),
                *expected,
                "{method} {headers:?}"
            );
        }
    }
}
