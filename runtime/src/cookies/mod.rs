//! Cookies on responses, FastAPI's `Response.set_cookie`: [`CookieJar`] reads the request's
//! cookies and sets or removes cookies on the response, with every attribute of the
//! [`cookie`](https://docs.rs/cookie) crate's [`Cookie`] (`HttpOnly`, `Secure`, `SameSite`,
//! `Max-Age`, `Expires`, `Path`, `Domain`). [`SignedCookieJar`] and [`PrivateCookieJar`] do the
//! same with cookies the client can read but not change (signed, HMAC-SHA256) or can neither
//! read nor change (private, AES-256-GCM), with the app's [`Key`]. [`CsrfGuard`] refuses
//! cross-site form posts to routes that trust cookies.
//!
//! To read one plain cookie, a `#[cookie] name: T` parameter is enough; the jars are for
//! setting cookies and for signed or private ones.

mod csrf;
mod jar;

/// Durations and dates for `Max-Age` and `Expires` (the `time` crate, as `cookie` uses it).
pub use cookie::time;
pub use cookie::{Cookie, CookieBuilder, Expiration, Key, SameSite};
pub use csrf::CsrfGuard;
pub use jar::{CookieJar, PrivateCookieJar, SignedCookieJar};
