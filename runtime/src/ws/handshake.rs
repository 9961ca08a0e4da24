//! The opening handshake (RFC 6455, section 4.2): checking the client's request, answering 101.

use http::header::{CONNECTION, HeaderValue, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY};
use http::header::{SEC_WEBSOCKET_VERSION, UPGRADE};
use http::request::Parts;
use http::{Method, StatusCode};
use oxapi_openapi::FrameworkError;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::body::Body;
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};

/// Why a request to a WebSocket route is not an opening handshake: a 426 with
/// `Upgrade: websocket` and `Sec-WebSocket-Version: 13`, so a client learns what to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeRejection {
    detail: &'static str,
}

impl HandshakeRejection {
    /// A handshake on a connection that cannot be upgraded: one the server did not take over
    /// HTTP/1.1 (the in-process test client's plain requests, say).
    pub(crate) fn not_upgradable() -> Self {
        Self {
            detail: "this connection cannot be upgraded to a WebSocket",
        }
    }

    /// What is wrong with the request.
    pub fn detail(&self) -> &'static str {
        self.detail
    }
}

impl IntoResponse for HandshakeRejection {
    fn into_response(self) -> Response {
        let mut response = Problem::from(FrameworkError::UpgradeRequired)
            .with_detail(self.detail)
            .into_response();
        let headers = response.headers_mut();
        headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
        headers.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        response
    }

    fn describe(op: &mut oxapi_openapi::OperationDoc<'_>) {
        op.error(FrameworkError::UpgradeRequired);
    }
}

/// Checks the opening handshake and returns the `Sec-WebSocket-Accept` value to answer with.
pub(crate) fn accept_key(parts: &Parts) -> Result<HeaderValue, HandshakeRejection> {
    let reject = |detail| Err(HandshakeRejection { detail });
    if parts.method != Method::GET {
        return reject("a WebSocket opens with a GET request");
    }
    if parts.version != http::Version::HTTP_11 {
        return reject(
            "a WebSocket opens over HTTP/1.1; this server does not open WebSockets over HTTP/2 (RFC 8441)",
        );
    }
    if !has_token(parts, UPGRADE, "websocket") {
        return reject("the request has no `Upgrade: websocket` header");
    }
    if !has_token(parts, CONNECTION, "upgrade") {
        return reject("the request has no `Connection: Upgrade` header");
    }
    if parts
        .headers
        .get(SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        return reject("the request's `Sec-WebSocket-Version` is not 13");
    }
    let Some(key) = parts.headers.get(SEC_WEBSOCKET_KEY) else {
        return reject("the request has no `Sec-WebSocket-Key` header");
    };
    if !is_nonce(key.as_bytes()) {
        return reject("the request's `Sec-WebSocket-Key` is not 16 bytes in base64");
    }
    HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
        .or(reject("the request's `Sec-WebSocket-Key` is not valid"))
}

/// The `101 Switching Protocols` answer to a checked handshake.
pub(crate) fn switching_protocols(accept: HeaderValue) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(SEC_WEBSOCKET_ACCEPT, accept);
    response
}

/// Whether a comma-separated header (any of its lines) lists `token`, ignoring case.
fn has_token(parts: &Parts, name: http::header::HeaderName, token: &str) -> bool {
    parts.headers.get_all(name).iter().any(|value| {
        value.to_str().is_ok_and(|value| {
            value
                .split(',')
                .any(|item| item.trim().eq_ignore_ascii_case(token))
        })
    })
}

/// Whether `key` is 16 bytes in base64: 22 characters of the alphabet and `==`.
fn is_nonce(key: &[u8]) -> bool {
    key.len() == 24
        && key.ends_with(b"==")
        && key[..22]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder().uri("/ws");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    const GOOD: &[(&str, &str)] = &[
        ("upgrade", "websocket"),
        ("connection", "keep-alive, Upgrade"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];

    #[test]
    fn the_rfc_example_key_is_accepted_with_the_rfc_answer() {
        let accept = accept_key(&parts(GOOD)).unwrap();
        assert_eq!(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn each_missing_piece_is_named() {
        let cases: &[(usize, &str)] = &[
            (0, "Upgrade: websocket"),
            (1, "Connection: Upgrade"),
            (2, "Sec-WebSocket-Version"),
            (3, "Sec-WebSocket-Key"),
        ];
        for (skip, named) in cases {
            let headers: Vec<_> = GOOD
                .iter()
                .enumerate()
                .filter(|(i, _)| i != skip)
                .map(|(_, h)| *h)
                .collect();
            let rejection = accept_key(&parts(&headers)).unwrap_err();
            assert!(rejection.detail().contains(named), "{}", rejection.detail());
            let response = rejection.into_response();
            assert_eq!(response.status(), 426);
            assert_eq!(response.headers()["sec-websocket-version"], "13");
        }
    }

    #[test]
    fn a_key_that_is_not_a_nonce_is_rejected() {
        let mut headers = GOOD.to_vec();
        headers[3] = ("sec-websocket-key", "short");
        assert!(accept_key(&parts(&headers)).is_err());
        headers[2] = ("sec-websocket-version", "8");
        assert!(accept_key(&parts(&headers)).is_err());
    }
}
