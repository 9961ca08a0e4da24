//! Request context over real sockets: the peer address, the client address and scheme that
//! trusted proxies report, and `root_path` in the document and the docs pages.

use std::net::SocketAddr;

use http::Method;
use oxapi::middleware::{Next, from_fn};
use oxapi::prelude::*;
use oxapi::{ClientAddr, ClientScheme, PeerAddr, ProxyHeaders, TestClient};
use oxapi_tests::{Client, Reply, Server, VERSIONS, raw};
use serde_json::{Value, json};

#[get("/peer")]
async fn peer(PeerAddr(peer): PeerAddr) -> String {
    peer.to_string()
}

#[get("/client")]
async fn client(ClientAddr(addr): ClientAddr, ClientScheme(scheme): ClientScheme) -> String {
    format!("{scheme} {addr}")
}

#[get("/plain")]
async fn plain() -> &'static str {
    "plain"
}

/// The client's end of the connection `reply` came on.
fn local(reply: &Reply) -> SocketAddr {
    reply
        .local_addr
        .expect("the connector records the local address")
}

async fn get(client: &Client, path: &str, headers: &[(&str, &str)]) -> Reply {
    let reply = client.send(Method::GET, path, headers, "").await;
    assert_eq!(reply.status, 200, "{path} {headers:?}: {}", reply.text());
    reply
}

/// Requests `/client` with each case's headers; the answer is the case's, or with `peer`,
/// the peer's: the client's own socket, over plain HTTP.
async fn check_client(client: &Client, cases: &[(&[(&str, &str)], &str)]) {
    for (headers, expected) in cases {
        let reply = get(client, "/client", headers).await;
        let expected = match *expected {
            "peer" => format!("http {}", local(&reply)),
            other => other.to_owned(),
        };
        assert_eq!(reply.text(), expected, "{:?} {headers:?}", client.version());
    }
}

#[tokio::test]
async fn the_peer_is_the_clients_socket_on_both_versions() {
    let server = Server::start(App::new().routes(routes![peer])).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let reply = get(&client, "/peer", &[]).await;
        assert_eq!(reply.text(), local(&reply).to_string(), "{version:?}");
        // Forwarding headers do not change the peer.
        let reply = get(&client, "/peer", &[("x-forwarded-for", "203.0.113.7")]).await;
        assert_eq!(reply.text(), local(&reply).to_string(), "{version:?}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_trusted_peer_reports_the_client_and_scheme() {
    // The test client connects from 127.0.0.1: trusted here, as a local proxy would be.
    let app = App::new()
        .forwarded_allow_ips(["10.0.0.0/8", "127.0.0.1"])
        .routes(routes![client]);
    let server = Server::start(app).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("x-forwarded-for", "203.0.113.7")], "http 203.0.113.7:0"),
            (
                &[
                    ("x-forwarded-for", "198.51.100.1, 203.0.113.7, 10.0.0.2"),
                    ("x-forwarded-proto", "https"),
                ],
                "https 203.0.113.7:0",
            ),
            (
                &[("x-forwarded-for", "[2001:db8::1]:4711")],
                "http [2001:db8::1]:4711",
            ),
            // `Forwarded` is not the kind this app reads.
            (&[("forwarded", "for=203.0.113.7;proto=https")], "peer"),
            (&[], "peer"),
        ];
        check_client(&client, cases).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn an_untrusted_peer_is_the_client_whatever_it_claims() {
    let headers = [
        ("x-forwarded-for", "203.0.113.7"),
        ("x-forwarded-proto", "https"),
        ("forwarded", "for=203.0.113.7;proto=https"),
    ];
    for app in [
        App::new(),
        App::new().forwarded_allow_ips(["10.0.0.0/8", "::1"]),
        App::new()
            .forwarded_allow_ips(["10.0.0.0/8"])
            .proxy_headers(ProxyHeaders::Forwarded),
    ] {
        let server = Server::start(app.routes(routes![client])).await;
        for version in VERSIONS {
            let client = Client::new(&server, version);
            let reply = get(&client, "/client", &headers).await;
            assert_eq!(
                reply.text(),
                format!("http {}", local(&reply)),
                "{version:?}"
            );
        }
        server.stop().await;
    }
}

#[tokio::test]
async fn forwarded_is_read_when_chosen() {
    let app = App::new()
        .forwarded_allow_ips(["127.0.0.0/8"])
        .proxy_headers(ProxyHeaders::Forwarded)
        .routes(routes![client]);
    let server = Server::start(app).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("forwarded", r#"for="[2001:db8::1]:4711";proto=https"#)],
                "https [2001:db8::1]:4711",
            ),
            (
                &[("forwarded", "for=198.51.100.1;proto=https, for=203.0.113.7")],
                "http 203.0.113.7:0",
            ),
            (
                &[
                    ("forwarded", r#"for="198.51.100.1"#),
                    ("forwarded", "for=203.0.113.7;proto=https"),
                ],
                "https 203.0.113.7:0",
            ),
            (&[("x-forwarded-for", "203.0.113.7")], "peer"),
        ];
        check_client(&client, cases).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn malformed_forwarding_headers_fall_back_to_the_peer() {
    for kind in [ProxyHeaders::XForwarded, ProxyHeaders::Forwarded] {
        let app = App::new()
            .forwarded_allow_ips(["127.0.0.1"])
            .proxy_headers(kind)
            .routes(routes![client]);
        let server = Server::start(app).await;
        for version in VERSIONS {
            let client = Client::new(&server, version);
            let malformed: &[&[(&str, &str)]] = &[
                &[("x-forwarded-for", "garbage")],
                &[("x-forwarded-for", "203.0.113.7, unknown")],
                &[("x-forwarded-for", "203.0.113.7:99999")],
                &[("x-forwarded-for", ",,,")],
                &[("x-forwarded-proto", "gopher")],
                &[("forwarded", r#"for="203.0.113.7"#)],
                &[("forwarded", "for=203.0.113.7;for=198.51.100.1")],
                &[("forwarded", "for=_hidden")],
                &[("forwarded", "for=203.0.113.7 proto=https")],
                &[("forwarded", "=;=,\"\\")],
            ];
            for headers in malformed {
                let reply = get(&client, "/client", headers).await;
                assert_eq!(
                    reply.text(),
                    format!("http {}", local(&reply)),
                    "{kind:?} {version:?} {headers:?}"
                );
            }
        }
        // Bytes no client library sends: obs-text in the header.
        let answer = raw(
            server.addr(),
            b"GET /client HTTP/1.1\r\nhost: x\r\nx-forwarded-for: \xff\xfe\r\nforwarded: for=\xff\r\nconnection: close\r\n\r\n",
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.contains("\r\n\r\nhttp 127.0.0.1:"), "{answer}");
        server.stop().await;
    }
}

#[tokio::test]
async fn the_test_client_gives_a_fixed_loopback_peer() {
    let client = App::new()
        .forwarded_allow_ips(["192.0.2.1"])
        .routes(routes![peer, client])
        .test_client();
    assert_eq!(TestClient::PEER_ADDR.to_string(), "127.0.0.1:0");
    assert_eq!(client.get("/peer").send().await.text(), "127.0.0.1:0");
    assert_eq!(
        client
            .get("/client")
            .header("x-forwarded-for", "203.0.113.7")
            .send()
            .await
            .text(),
        "http 127.0.0.1:0"
    );
    // As if from the trusted proxy.
    let proxy: SocketAddr = "192.0.2.1:443".parse().unwrap();
    let response = client
        .get("/client")
        .peer_addr(proxy)
        .header("x-forwarded-for", "203.0.113.7")
        .header("x-forwarded-proto", "https")
        .send()
        .await;
    assert_eq!(response.text(), "https 203.0.113.7:0");
    assert_eq!(
        client.get("/peer").peer_addr(proxy).send().await.text(),
        "192.0.2.1:443"
    );
}

/// Whether the request reached the app's middleware with a peer address: `x-peer: yes|no`.
async fn report_peer(request: oxapi::Request, next: Next) -> oxapi::Response {
    let attached = request.extensions().get::<PeerAddr>().is_some();
    let mut response = next.run(request).await;
    let value = if attached { "yes" } else { "no" };
    response
        .headers_mut()
        .insert("x-peer", http::HeaderValue::from_static(value));
    response
}

#[tokio::test]
async fn only_an_app_that_reads_the_peer_gets_it_attached() {
    let without = App::new()
        .routes(routes![plain])
        .layer(from_fn(report_peer));
    let with = App::new()
        .routes(routes![plain, peer])
        .layer(from_fn(report_peer));
    for (app, expected) in [(without, "no"), (with, "yes")] {
        let server = Server::start(app).await;
        for version in VERSIONS {
            let reply = get(&Client::new(&server, version), "/plain", &[]).await;
            assert_eq!(reply.header("x-peer"), Some(expected), "{version:?}");
        }
        server.stop().await;
    }
}

/// The served document and docs pages of `app`.
async fn served_docs(app: App) -> (Value, String, String) {
    let server = Server::start(app).await;
    let client = Client::new(&server, oxapi_tests::Version::Http1);
    let document = get(&client, "/openapi.json", &[]).await.json();
    let swagger = get(&client, "/docs", &[]).await.text();
    let scalar = get(&client, "/scalar", &[]).await.text();
    // The assets stay where the proxy forwards them: without the prefix.
    for asset in ["/docs/swagger-ui-bundle.js", "/scalar/scalar.js"] {
        get(&client, asset, &[]).await;
    }
    server.stop().await;
    (document, swagger, scalar)
}

#[tokio::test]
async fn root_path_is_in_the_document_and_the_docs_pages() {
    let app = || App::new().title("Behind").routes(routes![plain]);
    let (plain_document, plain_swagger, _) = served_docs(app()).await;
    let (document, swagger, scalar) = served_docs(app().root_path("/api/")).await;
    assert_eq!(document["servers"], json!([{ "url": "/api" }]));
    // Nothing else changes: the document stays what it was, and as valid.
    let mut without_servers = document.clone();
    without_servers.as_object_mut().unwrap().remove("servers");
    assert_eq!(without_servers, plain_document);
    assert!(plain_document.get("servers").is_none());
    assert!(
        plain_swagger.contains(r#"url: "/openapi.json""#),
        "{plain_swagger}"
    );

    assert!(swagger.contains(r#"url: "/api/openapi.json""#), "{swagger}");
    for asset in [
        r#"href="/api/docs/swagger-ui.css""#,
        r#"src="/api/docs/swagger-ui-bundle.js""#,
        r#"src="/api/docs/swagger-ui-standalone-preset.js""#,
        r#""/api/docs/" + 'oauth2-redirect.html'"#,
    ] {
        assert!(swagger.contains(asset), "{asset} in {swagger}");
    }
    assert!(scalar.contains(r#""url":"/api/openapi.json""#), "{scalar}");
    assert!(
        scalar.contains(r#"src="/api/scalar/scalar.js""#),
        "{scalar}"
    );

    // An explicit server is kept, after the prefix.
    let (document, _, _) = served_docs(
        app()
            .server("https://api.example.com/api", "production")
            .root_path("/api"),
    )
    .await;
    assert_eq!(
        document["servers"],
        json!([
            { "url": "/api" },
            { "url": "https://api.example.com/api", "description": "production" },
        ])
    );
    // ... and not repeated.
    let (document, _, _) =
        served_docs(app().server("/api", "behind the proxy").root_path("/api")).await;
    assert_eq!(
        document["servers"],
        json!([{ "url": "/api", "description": "behind the proxy" }])
    );
}

#[test]
fn bad_proxy_settings_fail_the_build_together() {
    let errors = App::new()
        .root_path("api")
        .forwarded_allow_ips(["10.0.0.1/8", "127.0.0.1", "proxy.local"])
        .check()
        .unwrap_err()
        .to_string();
    for expected in ["root path `api`", "`10.0.0.1/8`", "`proxy.local`"] {
        assert!(errors.contains(expected), "{expected} in {errors}");
    }
    assert!(!errors.contains("`127.0.0.1`"), "{errors}");
}

#[tokio::test]
async fn a_mounted_app_gets_the_peer_its_host_attaches() {
    let inner = App::new().routes(routes![peer]).into_service().unwrap();
    let host = App::new().routes(routes![peer]).mount("/inner", inner);
    let server = Server::start(host).await;
    for version in VERSIONS {
        let reply = get(&Client::new(&server, version), "/inner/peer", &[]).await;
        assert_eq!(reply.text(), local(&reply).to_string(), "{version:?}");
    }
    server.stop().await;
}
