//! Who is at the other end: the connection's peer ([`PeerAddr`]).

use std::net::SocketAddr;

use http::request::Parts;
use oxapi_openapi::{FrameworkError, OperationDoc};

use super::{FromRequestParts, RequestContext};
use crate::problem::Problem;
use crate::response::Response;

/// The address of the connection's other end: the client, or the proxy in front of the app.
///
/// Over a socket it is the TCP peer, on HTTP/1.1 and HTTP/2 alike. The
/// [test client](crate::TestClient) gives [`TestClient::PEER_ADDR`](crate::TestClient::PEER_ADDR),
/// `127.0.0.1:0`, unless a request sets another with
/// [`TestRequest::peer_addr`](crate::TestRequest::peer_addr).
///
/// Requests carry the address only in an app that reads it: a route (or one of its
/// dependencies) taking `PeerAddr` makes the server hand it to every request, in the request's extensions, where middleware finds it too. Any other
/// app pays nothing for it. An extractor of your own that reads it must say so in its
/// `describe`, by calling `PeerAddr::describe(op)` (or `op.require_peer_addr()`).
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

/// A request without its peer, logged already; answered `500`.
#[derive(Debug)]
struct Rejected;

impl From<Rejected> for Response {
    fn from(Rejected: Rejected) -> Self {
        Problem::from(FrameworkError::Internal).to_response()
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
    }

    #[tokio::test]
    async fn the_attached_peer_is_extracted() {
        let route = RouteContext::detached();
        let peer: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let (mut parts, ()) = http::Request::new(()).into_parts();
        parts.extensions.insert(PeerAddr(peer));
        let PeerAddr(got) = PeerAddr::from_request_parts(&mut parts, &route.request())
            .await
            .unwrap();
        assert_eq!(got, peer);
    }
}
