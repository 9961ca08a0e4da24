//! The server's limits against slow and hostile clients: header read and keep-alive timeouts,
//! head size and count, connections served at once, HTTP/2's streams and rapid resets.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use oxapi::prelude::*;
use oxapi::{ServerLimits, State};
use oxapi_tests::{Client, Server, Version, raw_status};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;

/// How long a test waits for what must happen: a hang guard, never the thing tested.
const HANG_GUARD: Duration = Duration::from_secs(20);

#[get("/ping")]
async fn ping() -> &'static str {
    "pong"
}

/// A request that takes as long as the test says: it waits for `Gate::open`.
#[get("/held")]
async fn held(gate: State<Arc<Gate>>) -> &'static str {
    // Listening before it says it entered, so that no opening is missed.
    let open = gate.open.notified();
    let mut open = std::pin::pin!(open);
    open.as_mut().enable();
    gate.entered.fetch_add(1, Ordering::SeqCst);
    gate.entered_notify.notify_waiters();
    open.await;
    "done"
}

#[derive(Default)]
struct Gate {
    entered: AtomicUsize,
    entered_notify: Notify,
    open: Notify,
}

impl Gate {
    async fn wait_entered(&self, count: usize) {
        tokio::time::timeout(HANG_GUARD, async {
            loop {
                let notified = self.entered_notify.notified();
                if self.entered.load(Ordering::SeqCst) >= count {
                    return;
                }
                notified.await;
            }
        })
        .await
        .expect("the requests reach the handler");
    }
}

fn app(limits: ServerLimits) -> (App, Arc<Gate>) {
    let gate = Arc::new(Gate::default());
    let app = App::new()
        .routes(routes![ping, held])
        .state(Arc::clone(&gate))
        .server_limits(limits);
    (app, gate)
}

/// Reads until the server closes the connection; what it wrote before, if anything.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buf = [0; 4096];
    tokio::time::timeout(HANG_GUARD, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(read) => received.extend_from_slice(&buf[..read]),
            }
        }
    })
    .await
    .expect("the server closes the connection");
    received
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_sending_half_a_head_or_nothing_are_closed_while_others_are_served() {
    let (app, _) =
        app(ServerLimits::default().header_read_timeout(Some(Duration::from_millis(200))));
    let server = Server::start(app).await;
    let mut slow = Vec::new();
    for index in 0..100 {
        let mut stream = TcpStream::connect(server.addr()).await.unwrap();
        if index % 2 == 0 {
            stream
                .write_all(b"GET /ping HTTP/1.1\r\nhost: x\r\nx-slow: ")
                .await
                .unwrap();
        }
        slow.push(stream);
    }
    // The server keeps answering others meanwhile.
    let client = Client::new(&server, Version::Http1);
    assert_eq!(client.get("/ping").await.text(), "pong");
    for mut stream in slow {
        // Closed without a response: hyper writes no 408.
        assert_eq!(read_until_closed(&mut stream).await, b"");
    }
    assert_eq!(client.get("/ping").await.text(), "pong");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_dripped_a_byte_at_a_time_is_cut_at_the_header_timeout() {
    let (app, _) = app(ServerLimits::default()
        .header_read_timeout(Some(Duration::from_millis(300)))
        .keep_alive_timeout(None));
    let server = Server::start(app).await;
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let (mut read, mut write) = stream.split();
    let drip = async {
        // Each byte resets no clock: the head as a whole must arrive in time.
        for byte in b"GET /ping HTTP/1.1\r\nhost: x\r\nx-drip: ".iter().cycle() {
            if write.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let closed = async {
        let mut buf = [0; 64];
        if let Ok(read) = read.read(&mut buf).await {
            assert_eq!(read, 0, "no response is written to a head that never ends");
        }
    };
    tokio::time::timeout(HANG_GUARD, async {
        tokio::select! {
            () = closed => {}
            () = drip => panic!("the writes fail only once the server closed"),
        }
    })
    .await
    .expect("the server closes the connection");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_and_a_long_request_is_not() {
    let (app, gate) = app(ServerLimits::default()
        .header_read_timeout(Some(Duration::from_millis(100)))
        .keep_alive_timeout(Some(Duration::from_millis(100))));
    let server = Server::start(app).await;
    // A request that outlasts both timeouts many times over is answered.
    let mut long = TcpStream::connect(server.addr()).await.unwrap();
    long.write_all(b"GET /held HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    gate.wait_entered(1).await;
    // Idle keep-alive connection: served once, then closed once idle.
    let mut idle = TcpStream::connect(server.addr()).await.unwrap();
    idle.write_all(b"GET /ping HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let response = String::from_utf8(read_until_closed(&mut idle).await).unwrap();
    assert_eq!(raw_status(&response), 200, "{response}");
    assert!(response.ends_with("pong"), "{response}");
    // The held request's connection was idle all along, from the server's side.
    assert_eq!(gate.entered.load(Ordering::SeqCst), 1);
    gate.open.notify_waiters();
    let mut buf = vec![0; 1024];
    let read = tokio::time::timeout(HANG_GUARD, long.read(&mut buf))
        .await
        .expect("the held request is answered")
        .unwrap();
    let response = String::from_utf8_lossy(&buf[..read]);
    assert_eq!(raw_status(&response), 200, "{response}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heads_over_the_size_or_count_limits_get_431_and_smaller_ones_are_served() {
    let (app, _) = app(ServerLimits::default());
    let server = Server::start(app).await;
    let send = |request: Vec<u8>| {
        let addr = server.addr();
        async move {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            // The server may close before reading it all: what it answered is what counts.
            let _ = stream.write_all(&request).await;
            String::from_utf8_lossy(&read_until_closed(&mut stream).await).into_owned()
        }
    };
    let head = |headers: &str| {
        format!("GET /ping HTTP/1.1\r\nhost: x\r\nconnection: close\r\n{headers}\r\n").into_bytes()
    };
    // One 64 KiB header line.
    let huge = format!("x-huge: {}\r\n", "a".repeat(64 * 1024));
    assert_eq!(raw_status(&send(head(&huge)).await), 431);
    // 20 KiB of headers in ten lines: under the default 32 KiB.
    let many_kib: String = (0..10)
        .map(|index| format!("x-{index}: {}\r\n", "b".repeat(2048)))
        .collect();
    assert_eq!(raw_status(&send(head(&many_kib)).await), 200);
    // 101 header fields: over hyper's 100.
    let count: String = (0..101).map(|index| format!("x-{index}: 1\r\n")).collect();
    assert_eq!(raw_status(&send(head(&count)).await), 431);
    let fewer: String = (0..90).map(|index| format!("x-{index}: 1\r\n")).collect();
    assert_eq!(raw_status(&send(head(&fewer)).await), 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_limit_wait_in_the_backlog_until_one_closes() {
    let (app, gate) = app(ServerLimits::default().max_connections(2));
    let server = Server::start(app).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(server.addr()).await.unwrap();
        stream
            .write_all(b"GET /held HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        held.push(stream);
    }
    gate.wait_entered(2).await;
    // The third connection is made by the kernel (the backlog) but not served.
    let mut third = TcpStream::connect(server.addr()).await.unwrap();
    third
        .write_all(b"GET /ping HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0; 256];
    assert!(
        tokio::time::timeout(Duration::from_millis(300), third.read(&mut buf))
            .await
            .is_err(),
        "a connection past the limit is not served"
    );
    // One of the two finishes and closes: the third is served.
    gate.open.notify_waiters();
    for mut stream in held {
        let response = String::from_utf8(read_until_closed(&mut stream).await).unwrap();
        assert_eq!(raw_status(&response), 200, "{response}");
    }
    let response = String::from_utf8(read_until_closed(&mut third).await).unwrap();
    assert_eq!(raw_status(&response), 200, "{response}");
    assert!(response.ends_with("pong"), "{response}");
    server.stop().await;
}

/// Tells the test when the handler's future is dropped.
struct OnDrop(Option<tokio::sync::oneshot::Sender<()>>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        if let Some(dropped) = self.0.take() {
            let _ = dropped.send(());
        }
    }
}

type DropSignal = Arc<std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>>;

/// The state a handler takes its drop guard's sender from, and the receiver the test awaits.
fn drop_signal() -> (DropSignal, tokio::sync::oneshot::Receiver<()>) {
    let (dropped_tx, dropped) = tokio::sync::oneshot::channel();
    (Arc::new(std::sync::Mutex::new(Some(dropped_tx))), dropped)
}

#[get("/forever")]
async fn forever(dropped: State<DropSignal>) -> &'static str {
    let _guard = OnDrop(dropped.lock().unwrap().take());
    std::future::pending::<()>().await;
    "never"
}

/// A plain fn that holds its blocking thread until the test lets it go.
#[get("/stuck")]
fn stuck(release: State<Arc<std::sync::Mutex<std::sync::mpsc::Receiver<()>>>>) -> &'static str {
    let _ = release.lock().unwrap().recv();
    "released"
}

#[get("/pool")]
async fn pool(stats: oxapi::BlockingPoolStats) -> String {
    format!("{} {}", stats.busy, stats.queued)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_its_timeout_gets_504_and_its_future_is_dropped() {
    let (signal, dropped) = drop_signal();
    let app = App::new()
        .routes(routes![forever, ping])
        .state(signal)
        .request_timeout(Duration::from_millis(100));
    let document = App::new()
        .routes(routes![forever])
        .state(DropSignal::default())
        .request_timeout(Duration::from_millis(100))
        .openapi()
        .unwrap();
    assert_eq!(
        document["paths"]["/forever"]["get"]["responses"]["504"]["$ref"],
        "#/components/responses/Timeout"
    );
    let server = Server::start(app).await;
    let client = Client::new(&server, Version::Http1);
    let reply = client.get("/forever").await;
    let problem = reply.problem(504);
    assert_eq!(problem["type"], "urn:oxapi:problem:timeout");
    tokio::time::timeout(HANG_GUARD, dropped)
        .await
        .expect("the handler's future is dropped")
        .unwrap();
    assert_eq!(client.get("/ping").await.text(), "pong");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_router_sets_its_own_timeout_over_the_apps() {
    let (signal, _dropped) = drop_signal();
    let quick = oxapi::Router::new()
        .prefix("/quick")
        .routes(routes![forever])
        .request_timeout(Duration::from_millis(50));
    let app = App::new()
        .routes(routes![ping])
        .router(quick)
        .state(signal)
        // An hour: only the router's own limit can answer in this test.
        .request_timeout(Duration::from_secs(3600));
    let server = Server::start(app).await;
    let client = Client::new(&server, Version::Http2);
    client.get("/quick/forever").await.problem(504);
    assert_eq!(client.get("/ping").await.text(), "pong");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_plain_fn_keeps_its_thread_until_it_returns() {
    let (release, released) = std::sync::mpsc::channel::<()>();
    let app = App::new()
        .routes(routes![stuck, pool])
        .state(Arc::new(std::sync::Mutex::new(released)))
        .blocking_threads(1)
        .request_timeout(Duration::from_millis(100));
    let server = Server::start(app).await;
    let client = Client::new(&server, Version::Http1);
    client.get("/stuck").await.problem(504);
    // The call runs on: its thread is busy, so the pool's one thread is taken.
    assert_eq!(client.get("/pool").await.text(), "1 0");
    release.send(()).unwrap();
    // Once it returns, the thread serves the next call.
    release.send(()).unwrap();
    tokio::time::timeout(HANG_GUARD, async {
        loop {
            if client.get("/pool").await.text() == "0 0" {
                return;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the thread is free once the call returns");
    assert_eq!(client.get("/stuck").await.text(), "released");
    server.stop().await;
}

#[get("/big")]
async fn big() -> Vec<u8> {
    vec![b'x'; BIG]
}

/// Larger than what the kernel buffers between the server and a client with a small receive
/// buffer (the server's send buffer grows to 4 MiB).
const BIG: usize = 16 * 1024 * 1024;

/// A client slow to read a large response is still taking it in, not idle: its connection is
/// not cut by the keep-alive timeout, though taking the response in lasts longer than it.
/// (Its reads are 10 ms apart against a half-second timeout: only a cut connection fails it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_of_a_large_response_is_not_cut() {
    let app = App::new().routes(routes![big]).server_limits(
        ServerLimits::default()
            .header_read_timeout(Duration::from_millis(500))
            .keep_alive_timeout(Duration::from_millis(500)),
    );
    let server = Server::start(app).await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(64 * 1024).unwrap();
    let mut stream = socket.connect(server.addr()).await.unwrap();
    stream
        .write_all(b"GET /big HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut response = Vec::new();
    let mut buf = vec![0; 64 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(read) => response.extend_from_slice(&buf[..read]),
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let head_end = response
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .unwrap();
    assert_eq!(response.len() - head_end - 4, BIG);
    // Else the test proved nothing: the whole response fitted in the timeout.
    assert!(started.elapsed() > Duration::from_secs(1));
    server.stop().await;
}

#[get("/forever/own", timeout = "50ms")]
async fn forever_own(dropped: State<DropSignal>) -> &'static str {
    let _guard = OnDrop(dropped.lock().unwrap().take());
    std::future::pending::<()>().await;
    "never"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_sets_its_own_timeout_over_its_routers_and_the_apps() {
    let (signal, dropped) = drop_signal();
    let app = App::new()
        .routes(routes![forever_own, ping])
        .state(signal)
        // An hour: only the route's own limit can answer in this test.
        .request_timeout(Duration::from_secs(3600));
    let server = Server::start(app).await;
    let client = Client::new(&server, Version::Http1);
    client.get("/forever/own").await.problem(504);
    tokio::time::timeout(HANG_GUARD, dropped)
        .await
        .expect("the handler's future is dropped")
        .unwrap();
    assert_eq!(client.get("/ping").await.text(), "pong");
    server.stop().await;
}
