//! How a connection's protocol is told: from its first bytes, however they are split.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use oxapi_tests::{Server, raw_status};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

/// An HTTP/1.1 request whose first byte arrives alone: `P` may begin HTTP/2's preface or
/// `POST`, so the server cannot decide from it and must read on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http1_request_split_after_its_first_byte_is_served() {
    let server = Server::start(hello::app()).await;
    let body = r#"{"name":"pen","price":1.5}"#;
    let request = format!(
        "POST /items HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    stream.set_nodelay(true).unwrap();
    stream.write_all(&request.as_bytes()[..1]).await.unwrap();
    // Give the server the chance to see the lone byte (the test holds either way).
    tokio::time::sleep(Duration::from_millis(50)).await;
    stream.write_all(&request.as_bytes()[1..]).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
        .await
        .expect("the response within 10 s")
        .unwrap();
    let response = String::from_utf8_lossy(&response);
    assert_eq!(raw_status(&response), 201, "{response}");
    assert!(response.contains(r#""name":"pen""#), "{response}");
    server.stop().await;
}

/// An HTTP/2 connection whose preface arrives in two pieces, the first too short to tell.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_preface_split_in_two_is_served() {
    let server = Server::start(hello::app()).await;
    let stream = TcpStream::connect(server.addr()).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let io = SplitFirstWrite {
        stream,
        first: Some(2),
        pause: None,
    };
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(io))
            .await
            .unwrap();
    tokio::spawn(connection);
    let request = http::Request::get("/hello/Ada")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(10), sender.send_request(request))
        .await
        .expect("the response within 10 s")
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), http::Version::HTTP_2);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], br#"{"message":"Hello, Ada!"}"#);
    server.stop().await;
}

/// A stream that sends only the first `first` bytes of its first write, then pauses before
/// writing the rest, so the server's first read holds just those bytes.
struct SplitFirstWrite {
    stream: TcpStream,
    first: Option<usize>,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl AsyncWrite for SplitFirstWrite {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if let Some(first) = this.first {
            let written =
                std::task::ready!(Pin::new(&mut this.stream).poll_write(cx, &buf[..first]))?;
            this.first = None;
            this.pause = Some(Box::pin(tokio::time::sleep(Duration::from_millis(50))));
            return Poll::Ready(Ok(written));
        }
        if let Some(pause) = this.pause.as_mut() {
            std::task::ready!(pause.as_mut().poll(cx));
            this.pause = None;
        }
        Pin::new(&mut this.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

impl AsyncRead for SplitFirstWrite {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}
