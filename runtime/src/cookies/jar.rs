//! The cookie jars: the request's cookies in, the changes out as `Set-Cookie` headers.

use std::sync::Arc;

use cookie::{Cookie, Key};
use http::header::{COOKIE, SET_COOKIE};
use http::request::Parts;
use http::{HeaderMap, HeaderValue};
use oxapi_openapi::OperationDoc;

use crate::context::RequestContext;
use crate::extract::{FromRequestParts, Rejection};
use crate::response::{IntoResponseParts, Response};

/// The request's cookies, as the `cookie` crate's jar: every `Cookie` header's pairs,
/// percent-decoded; a pair that does not parse is skipped.
fn request_jar(headers: &HeaderMap) -> cookie::CookieJar {
    let mut jar = cookie::CookieJar::new();
    let pairs = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| Cookie::split_parse_encoded(value.to_owned()))
        .filter_map(Result::ok);
    for cookie in pairs {
        jar.add_original(cookie);
    }
    jar
}

/// Appends a `Set-Cookie` header for each change made to `jar`.
fn apply_delta(jar: &cookie::CookieJar, response: &mut Response) {
    for cookie in jar.delta() {
        // `encoded` percent-encodes the name and value, so the header is always valid; a
        // cookie whose attributes are not (a `Path` with a control character) is left out.
        match HeaderValue::try_from(cookie.encoded().to_string()) {
            Ok(value) => {
                response.headers_mut().append(SET_COOKIE, value);
            }
            Err(_) => tracing::error!(
                cookie = cookie.name(),
                "handler set a cookie that is no valid header value; left out"
            ),
        }
    }
}

/// Removes `cookie` from the client whether or not the request carried it: the `cookie`
/// crate sends a removal only for a cookie the request had, so the cookie is made one first.
/// A handler that logs out cannot tell which cookies a stale client still holds.
fn remove(jar: &mut cookie::CookieJar, cookie: Cookie<'static>) {
    jar.add_original(cookie.clone());
    jar.remove(cookie);
}

/// The app's cookie key, from its state: a route that uses a signed or private jar in an app
/// without one is an error when the app is built.
fn app_key(ctx: &RequestContext<'_>) -> Result<Arc<Key>, Rejection> {
    ctx.state::<Key>().cloned().ok_or(Rejection::MissingState {
        type_name: std::any::type_name::<Key>(),
    })
}

/// The request's cookies, and the cookies to set or remove on the response.
///
/// Take it as a parameter, change it, and return it beside the body, `(jar, body)`: each
/// cookie added or removed becomes one `Set-Cookie` header.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::cookies::{Cookie, CookieJar, SameSite, time::Duration};
///
/// #[post("/theme/{name}")]
/// async fn set_theme(name: String, jar: CookieJar) -> (CookieJar, &'static str) {
///     let cookie = Cookie::build(("theme", name))
///         .path("/")
///         .http_only(true)
///         .secure(true)
///         .same_site(SameSite::Lax)
///         .max_age(Duration::days(30));
///     (jar.add(cookie), "saved")
/// }
///
/// #[get("/theme")]
/// async fn theme(jar: CookieJar) -> String {
///     jar.get("theme").map(|c| c.value().to_owned()).unwrap_or_else(|| "light".into())
/// }
///
/// #[delete("/theme")]
/// async fn forget_theme(jar: CookieJar) -> (CookieJar, NoContent) {
///     // Removal matches the cookie by name and path.
///     (jar.remove(Cookie::build("theme").path("/")), NoContent)
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().routes(routes![set_theme, theme, forget_theme]).test_client();
/// let saved = client.post("/theme/dark").send().await;
/// assert_eq!(
///     saved.header("set-cookie"),
///     Some("theme=dark; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=2592000")
/// );
/// assert_eq!(client.get("/theme").header("cookie", "theme=dark").send().await.text(), "dark");
/// let removed = client.delete("/theme").send().await;
/// assert!(removed.header("set-cookie").unwrap().starts_with("theme=; Path=/; Max-Age=0"));
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct CookieJar {
    jar: cookie::CookieJar,
}

impl CookieJar {
    /// An empty jar, for a response that sets cookies without reading any.
    pub fn new() -> Self {
        Self::default()
    }

    /// The cookie `name`: the one set on this jar, else the request's.
    pub fn get(&self, name: &str) -> Option<&Cookie<'static>> {
        self.jar.get(name)
    }

    /// Sets `cookie` on the response.
    #[must_use = "return the jar with the response, or the cookie is not set"]
    // The `cookie` crate's name for it (and axum-extra's); a jar is not a number.
    #[allow(clippy::should_implement_trait)]
    pub fn add(mut self, cookie: impl Into<Cookie<'static>>) -> Self {
        self.jar.add(cookie);
        self
    }

    /// Removes `cookie` from the client: a `Set-Cookie` with an empty value, `Max-Age=0` and an
    /// `Expires` in the past, with `cookie`'s `Path` and `Domain` (a browser removes only the
    /// cookie with the same name, path and domain).
    #[must_use = "return the jar with the response, or the cookie is not removed"]
    pub fn remove(mut self, cookie: impl Into<Cookie<'static>>) -> Self {
        remove(&mut self.jar, cookie.into());
        self
    }

    /// Every cookie: the request's and those added, less those removed.
    pub fn iter(&self) -> impl Iterator<Item = &Cookie<'static>> {
        self.jar.iter()
    }
}

impl FromRequestParts for CookieJar {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _ctx: &RequestContext<'_>,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self {
            jar: request_jar(&parts.headers),
        })
    }
}

impl IntoResponseParts for CookieJar {
    fn apply(self, response: &mut Response) {
        apply_delta(&self.jar, response);
    }
}

/// Declares a jar over `cookie`'s child jar `$child`/`$child_mut`, keyed by the app's [`Key`].
macro_rules! keyed_jar {
    ($(#[$doc:meta])* $name:ident, $child:ident, $child_mut:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            jar: cookie::CookieJar,
            key: Arc<Key>,
        }

        impl $name {
            /// An empty jar with `key`, for a response that sets cookies without reading any.
            pub fn new(key: Arc<Key>) -> Self {
                Self { jar: cookie::CookieJar::new(), key }
            }

            #[doc = concat!("The ", $what, " cookie `name`, its value checked and restored: `None` if absent, or if the client changed it or it was made with another key.")]
            pub fn get(&self, name: &str) -> Option<Cookie<'static>> {
                self.jar.$child(&self.key).get(name)
            }

            #[doc = concat!("Sets `cookie` on the response, ", $what, ".")]
            #[must_use = "return the jar with the response, or the cookie is not set"]
            #[allow(clippy::should_implement_trait)]
            pub fn add(mut self, cookie: impl Into<Cookie<'static>>) -> Self {
                self.jar.$child_mut(&self.key).add(cookie);
                self
            }

            /// Removes `cookie` from the client, as [`CookieJar::remove`] does.
            #[must_use = "return the jar with the response, or the cookie is not removed"]
            pub fn remove(mut self, cookie: impl Into<Cookie<'static>>) -> Self {
                // A removal carries no value, so it needs no signature or encryption.
                remove(&mut self.jar, cookie.into());
                self
            }
        }

        /// Shows no cookie and no key.
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }

        impl FromRequestParts for $name {
            type Rejection = Rejection;

            async fn from_request_parts(
                parts: &mut Parts,
                ctx: &RequestContext<'_>,
            ) -> Result<Self, Rejection> {
                Ok(Self { jar: request_jar(&parts.headers), key: app_key(ctx)? })
            }

            fn describe(op: &mut OperationDoc<'_>) {
                op.require_state::<Key>();
            }
        }

        impl IntoResponseParts for $name {
            fn apply(self, response: &mut Response) {
                apply_delta(&self.jar, response);
            }
        }
    };
}

keyed_jar!(
    /// Cookies the client can read but not change: each value carries an HMAC-SHA256 signature
    /// made with the app's [`Key`] (`App::state(key)`).
    ///
    /// A cookie whose value or signature the client changed reads as absent (`get` returns
    /// `None`), as one made with another key does: to the handler it is a client without the
    /// cookie, and it answers as it would then (a 401 for a session cookie). No error names
    /// the tampering, which would only help the one tampering.
    ///
    /// ```
    /// use oxapi::prelude::*;
    /// use oxapi::cookies::{Cookie, Key, SignedCookieJar};
    ///
    /// #[post("/login/{user}")]
    /// async fn login(user: String, jar: SignedCookieJar) -> (SignedCookieJar, &'static str) {
    ///     (jar.add(Cookie::build(("user", user)).path("/").http_only(true)), "welcome")
    /// }
    ///
    /// #[get("/whoami")]
    /// async fn whoami(jar: SignedCookieJar) -> Result<String, ApiError> {
    ///     jar.get("user").map(|c| c.value().to_owned()).ok_or_else(|| ApiError::unauthorized("log in first"))
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// // A real service reads the key's 64 bytes from its configuration (see the README).
    /// let client = App::new().state(Key::generate()).routes(routes![login, whoami]).test_client();
    /// let set = client.post("/login/ada").send().await;
    /// let cookie = set.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
    /// assert_eq!(client.get("/whoami").header("cookie", &cookie).send().await.text(), "ada");
    /// let forged = cookie.replace("ada", "eve");
    /// assert_eq!(client.get("/whoami").header("cookie", &forged).send().await.status(), 401);
    /// # }
    /// ```
    SignedCookieJar,
    signed,
    signed_mut,
    "signed"
);

keyed_jar!(
    /// Cookies the client can neither read nor change: each value is encrypted and
    /// authenticated (AES-256-GCM) with the app's [`Key`] (`App::state(key)`).
    ///
    /// A cookie the client changed, or made with another key, reads as absent, as with
    /// [`SignedCookieJar`].
    PrivateCookieJar,
    private,
    private_mut,
    "private"
);
