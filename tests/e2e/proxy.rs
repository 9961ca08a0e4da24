//! Request context over real sockets: the peer address.

use std::net::SocketAddr;

use http::Method;
use oxapi::middleware::{Next, from_fn};
use oxapi::prelude::*;
use oxapi::{PeerAddr, TestClient};
use oxapi_tests::{Client, Reply, Server, VERSIONS};

#[get("/peer")]
async fn peer(PeerAddr(peer): PeerAddr) -> String {
    peer.to_string()
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
async fn the_test_client_gives_a_fixed_loopback_peer() {
    let client = App::new().routes(routes![peer]).test_client();
    assert_eq!(TestClient::PEER_ADDR.to_string(), "127.0.0.1:0");
    assert_eq!(client.get("/peer").send().await.text(), "127.0.0.1:0");
    let proxy: SocketAddr = "192.0.2.1:443".parse().unwrap();
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
