//! Serving behind a reverse proxy: which proxies are believed, and the client address and
//! scheme they report.
//!
//! A forwarding header is only as honest as whoever wrote it, and any client can send one.
//! So the headers are read only when the connection's peer is a trusted proxy, and then
//! from the nearest hop outwards: each trusted proxy vouches for the hop before it, and the
//! first hop that is not a trusted proxy is the client. Entries farther out were written by
//! the client itself and are never looked at, so no text a client sends can fail the
//! request or choose its address.

mod headers;
mod trusted;

use std::net::SocketAddr;

use http::HeaderMap;
use http::uri::Scheme;

use headers::{Element, Node};
pub(crate) use trusted::TrustedProxies;

/// Which headers trusted proxies report the client in.
///
/// Only one kind is read: a proxy that sets one kind usually passes the other through
/// untouched, and a client could then write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ProxyHeaders {
    /// `X-Forwarded-For` and `X-Forwarded-Proto`, as nginx, HAProxy's `forwardfor`, Traefik,
    /// Envoy, cloud load balancers and uvicorn use. The default.
    #[default]
    XForwarded,
    /// RFC 7239's `Forwarded` (`for=` and `proto=`), as HAProxy's `option forwarded` writes.
    Forwarded,
}

/// The app's proxy settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProxyConfig {
    pub(crate) trusted: TrustedProxies,
    pub(crate) headers: ProxyHeaders,
    /// Whether the app serves TLS itself, so a client connecting directly uses `https`.
    pub(crate) tls: bool,
}

impl ProxyConfig {
    /// The scheme of a connection to the app: also a trusted proxy's when it reports none.
    fn direct_scheme(&self) -> Scheme {
        if self.tls {
            Scheme::HTTPS
        } else {
            Scheme::HTTP
        }
    }
}

/// The client as the request's proxies report it: the peer itself unless the peer is trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Client {
    /// The client's address; port 0 when the proxy gave none (as uvicorn does).
    pub(crate) addr: SocketAddr,
    /// The scheme the client used: the connection's (`https` if the app serves TLS, else
    /// `http`) unless a trusted proxy says otherwise.
    pub(crate) scheme: Scheme,
}

/// The client of a request that came from `peer` with `headers`.
pub(crate) fn resolve(peer: SocketAddr, headers: &HeaderMap, config: &ProxyConfig) -> Client {
    let direct = Client {
        addr: peer,
        scheme: config.direct_scheme(),
    };
    if config.trusted.is_empty() || !config.trusted.contains(peer.ip()) {
        return direct;
    }
    match config.headers {
        ProxyHeaders::XForwarded => x_forwarded(peer, headers, config),
        ProxyHeaders::Forwarded => forwarded(peer, headers, config).unwrap_or(direct),
    }
}

/// The client's hop among `hops` (nearest first) and how far out it is: the first that is
/// not a trusted proxy, or the farthest if all are (the client was a trusted machine itself;
/// uvicorn answers the same).
fn pick<T>(
    hops: impl Iterator<Item = T>,
    node: impl Fn(&T) -> Node,
    trusted: &TrustedProxies,
) -> Option<(usize, T)> {
    let mut picked = None;
    for (distance, hop) in hops.enumerate() {
        // An opaque hop is no trusted proxy: nothing beyond it can be vouched for.
        let client = match node(&hop) {
            Node::Addr(ip, _) => !trusted.contains(ip),
            Node::Opaque => true,
        };
        picked = Some((distance, hop));
        if client {
            break;
        }
    }
    picked
}

/// The address of `node`, or the peer's when the hop gives none.
fn address(node: Node, peer: SocketAddr) -> SocketAddr {
    match node {
        Node::Addr(ip, port) => SocketAddr::new(ip, port.unwrap_or(0)),
        Node::Opaque => peer,
    }
}

/// Reads `X-Forwarded-For` and `X-Forwarded-Proto`.
///
/// Each proxy appends to `X-Forwarded-For`, so the scheme is taken at the same distance from
/// the nearest end of `X-Forwarded-Proto` as the client's hop, or from its farthest entry when
/// it is shorter (the usual case: one proxy set it once).
fn x_forwarded(peer: SocketAddr, headers: &HeaderMap, config: &ProxyConfig) -> Client {
    let trusted = &config.trusted;
    let (distance, addr) = match pick(headers::x_forwarded_for(headers), |node| *node, trusted) {
        Some((distance, node)) => (distance, address(node, peer)),
        None => (0, peer),
    };
    let mut proto = None;
    for (at, entry) in headers::x_forwarded_proto(headers).enumerate() {
        proto = entry;
        if at == distance {
            break;
        }
    }
    Client {
        addr,
        scheme: proto
            .and_then(headers::parse_scheme)
            .unwrap_or_else(|| config.direct_scheme()),
    }
}

/// Reads `Forwarded`; `None` if the header is absent.
///
/// Each line is parsed on its own, so a malformed line a client sent stays one opaque hop
/// beyond the lines its proxies appended.
fn forwarded(peer: SocketAddr, headers: &HeaderMap, config: &ProxyConfig) -> Option<Client> {
    let mut elements = Vec::new();
    for line in headers.get_all(http::header::FORWARDED) {
        match line.to_str().ok().and_then(headers::forwarded_line) {
            Some(parsed) => elements.extend(parsed),
            None => elements.push(Element::OPAQUE),
        }
    }
    let (_, element) = pick(
        elements.into_iter().rev(),
        |element| element.node,
        &config.trusted,
    )?;
    Some(Client {
        addr: address(element.node, peer),
        scheme: element.proto.unwrap_or_else(|| config.direct_scheme()),
    })
}

#[cfg(test)]
mod tests;
