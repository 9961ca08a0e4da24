//! Who is at the other end: the connection's peer ([`PeerAddr`]), and the client and scheme
//! as trusted proxies report them ([`ClientAddr`], [`ClientScheme`]).

use std::net::SocketAddr;

use http::request::Parts;
use http::uri::Scheme;
use oxapi_openapi::{FrameworkError, OperationDoc};

use super::{FromRequestParts, RequestContext};
use crate::problem::Problem;
use crate::proxy;
use crate::response::Response;

/// The address of the connection's other end: the client, or the proxy in front of the app
/// (for the client behind a proxy, see [`ClientAddr`]).
///
/// Over a socket it is the TCP peer, on HTTP/1.1 and HTTP/2 alike. The
/// [test client](crate::TestClient) gives [`TestClient::PEER_ADDR`](crate::TestClient::PEER_ADDR),
/// `127.0.0.1:0`, unless a request sets another with
/// [`TestRequest::peer_addr`](crate::TestRequest::peer_addr).
///
/// Requests carry the address only in an app that reads it: a route (or one of its
/// dependencies) taking `PeerAddr`, [`ClientAddr`] or [`ClientScheme`] makes the server hand
/// it to every request, in the request's extensions, where middleware finds it too. Any other
/// app pays nothing for it. An extractor of your own that reads it must say so in its
/// `describe`, by calling `PeerAddr::describe(op)` (or `op.require_peer_addr()`). An app
/// mounted in another ([`App::into_service`](crate::App::into_service)) gets the address
/// only if the app it is mounted in attaches it, so one of that app's routes must read it
/// too.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::PeerAddr;
///
/// #[get("/whoami")]
/// async fn whoami(PeerAddr(peer): PeerAddr) -> String {
///     peer.to_string()
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().routes(routes![whoami]).test_client();
/// assert_eq!(client.get("/whoami").send().await.text(), "127.0.0.1:0");
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerAddr(pub SocketAddr);

impl std::ops::Deref for PeerAddr {
    type Target = SocketAddr;
    fn deref(&self) -> &SocketAddr {
        &self.0
    }
}

impl FromRequestParts for PeerAddr {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        _ctx: &RequestContext<'_>,
    ) -> Result<Self, Response> {
        Ok(Self(peer(parts)?))
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.require_peer_addr();
    }
}

/// The peer the server attached, or the `500` for an app that did not ask for it.
fn peer(parts: &Parts) -> Result<SocketAddr, Rejected> {
    match parts.extensions.get::<PeerAddr>() {
        Some(PeerAddr(peer)) => Ok(*peer),
        None => {
            // The app's mistake, not the client's: an extractor read the peer without
            // declaring it, so the server was not told to attach it.
            tracing::error!(
                path = parts.uri.path(),
                "the request has no peer address: an extractor reading `PeerAddr` must call \
                 `PeerAddr::describe(op)` from its own `describe`"
            );
            Err(Rejected)
        }
    }
}

/// The client as the app's trusted proxies report it.
fn client(parts: &Parts, ctx: &RequestContext<'_>) -> Result<proxy::Client, Rejected> {
    Ok(proxy::resolve(peer(parts)?, &parts.headers, ctx.proxies()))
}

/// A request without its peer, logged already; answered `500`.
#[derive(Debug)]
struct Rejected;

impl From<Rejected> for Response {
    fn from(Rejected: Rejected) -> Self {
        Problem::from(FrameworkError::Internal).to_response()
    }
}

/// The client's address: the peer's, unless the peer is a trusted proxy, in which case the
/// one the proxy reports (uvicorn's `--forwarded-allow-ips`, Starlette's `request.client`).
///
/// The proxies to trust are set with [`App::forwarded_allow_ips`](crate::App::forwarded_allow_ips)
/// (none by default); which headers they write, with
/// [`App::proxy_headers`](crate::App::proxy_headers) (`X-Forwarded-For` by default, or RFC
/// 7239's `Forwarded`). The header is read from its nearest entry outwards, and the first
/// entry that is not itself a trusted proxy is the client: entries a client writes to pose as
/// someone else lie beyond that and are never believed. When that entry cannot be read
/// (malformed, `unknown`, obfuscated), the client is the peer; a header never fails the
/// request. The port is 0 when the proxy gives none.
///
/// Like [`PeerAddr`], it makes the server attach the peer's address to requests.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::ClientAddr;
///
/// #[get("/ip")]
/// async fn ip(client: ClientAddr) -> String {
///     client.ip().to_string()
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// // The test client's peer is 127.0.0.1: trusted here, as a local proxy would be.
/// let client = App::new()
///     .forwarded_allow_ips(["127.0.0.1", "10.0.0.0/8"])
///     .routes(routes![ip])
///     .test_client();
/// let response = client.get("/ip").header("x-forwarded-for", "203.0.113.7, 10.0.0.2").send().await;
/// assert_eq!(response.text(), "203.0.113.7");
/// assert_eq!(client.get("/ip").send().await.text(), "127.0.0.1");
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub SocketAddr);

impl std::ops::Deref for ClientAddr {
    type Target = SocketAddr;
    fn deref(&self) -> &SocketAddr {
        &self.0
    }
}

impl FromRequestParts for ClientAddr {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, Response> {
        Ok(Self(client(parts, ctx)?.addr))
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.require_peer_addr();
    }
}

/// The scheme the client used: the connection's (`https` if the app serves TLS itself,
/// [`App::tls`](crate::App::tls), else `http`), unless a trusted proxy reports another
/// (`X-Forwarded-Proto`, or `proto=` in `Forwarded`; one of `http`, `https`, `ws`, `wss`).
///
/// Read as [`ClientAddr`] is, from the same hop: for building absolute URLs, or for refusing
/// plain HTTP behind a TLS-terminating proxy.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::ClientScheme;
///
/// #[get("/scheme")]
/// async fn scheme(scheme: ClientScheme) -> String {
///     scheme.as_str().to_owned()
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().forwarded_allow_ips(["127.0.0.1"]).routes(routes![scheme]).test_client();
/// let response = client.get("/scheme").header("x-forwarded-proto", "https").send().await;
/// assert_eq!(response.text(), "https");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientScheme(pub Scheme);

impl std::ops::Deref for ClientScheme {
    type Target = Scheme;
    fn deref(&self) -> &Scheme {
        &self.0
    }
}

impl FromRequestParts for ClientScheme {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, Response> {
        Ok(Self(client(parts, ctx)?.scheme))
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.require_peer_addr();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RouteContext;

    #[tokio::test]
    async fn a_request_without_the_peer_is_the_apps_mistake() {
        let route = RouteContext::detached();
        let (mut parts, ()) = http::Request::new(()).into_parts();
        let rejection = PeerAddr::from_request_parts(&mut parts, &route.request())
            .await
            .unwrap_err();
        assert_eq!(rejection.status(), 500);
        let rejection = ClientAddr::from_request_parts(&mut parts, &route.request())
            .await
            .unwrap_err();
        assert_eq!(rejection.status(), 500);
    }

    #[tokio::test]
    async fn a_detached_context_trusts_no_proxy() {
        let route = RouteContext::detached();
        let peer: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let (mut parts, ()) = http::Request::builder()
            .header("x-forwarded-for", "203.0.113.7")
            .header("x-forwarded-proto", "https")
            .body(())
            .unwrap()
            .into_parts();
        parts.extensions.insert(PeerAddr(peer));
        let ctx = route.request();
        let PeerAddr(got) = PeerAddr::from_request_parts(&mut parts, &ctx)
            .await
            .unwrap();
        assert_eq!(got, peer);
        let ClientAddr(got) = ClientAddr::from_request_parts(&mut parts, &ctx)
            .await
            .unwrap();
        assert_eq!(got, peer);
        let ClientScheme(got) = ClientScheme::from_request_parts(&mut parts, &ctx)
            .await
            .unwrap();
        assert_eq!(got, Scheme::HTTP);
    }
}
