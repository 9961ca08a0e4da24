//! The realtime benchmark's load generator, driven by `bench/run.py realtime` over its
//! standard input and output. One tokio thread; meant to run pinned to the client's core.
//!
//! ```text
//! bench-realtime ws-echo  ADDR CONNECTIONS SECONDS   echo round trips on every connection
//! bench-realtime sse      ADDR SUBSCRIBERS EVENTS    one event at a time to every subscriber
//! bench-realtime idle-ws  ADDR CONNECTIONS           WebSockets opened, then left idle
//! bench-realtime idle-sse ADDR SUBSCRIBERS           SSE subscribers opened, then left idle
//! ```
//!
//! Each mode opens its connections, prints `READY ok=K failed=F`, and waits for a line on
//! standard input. `ws-echo` and `sse` then measure and print `DONE key=value ...`; the idle
//! modes close everything and print `CLOSED`. The server's CPU time is read by the caller
//! between `READY` and `DONE`, so the connections' setup is not counted. Every answer is
//! checked: a wrong echo or an event that never arrives is an error, not a figure.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{Notify, Semaphore};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Error = Box<dyn std::error::Error + Send + Sync>;

/// Connections opened at once: enough to open thousands quickly without a SYN flood.
const OPENING_AT_ONCE: usize = 200;
/// The echoed message: a small JSON text, as a chat or a game sends.
const ECHO_PAYLOAD: &str = r#"{"type":"move","x":12,"y":34,"seq":1}"#;
/// How long any one step may take before the run is declared broken (a hang guard).
const STEP_LIMIT: Duration = Duration::from_secs(60);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(&error.into()),
    };
    match runtime.block_on(run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error),
    }
}

fn fail(error: &Error) -> ExitCode {
    println!("ERROR {error}");
    ExitCode::FAILURE
}

async fn run(args: &[String]) -> Result<(), Error> {
    let usage = "usage: bench-realtime ws-echo|sse|idle-ws|idle-sse ADDR N [SECONDS|EVENTS]";
    let (mode, addr, n) = match args {
        [mode, addr, n, ..] => (
            mode.as_str(),
            addr.parse::<SocketAddr>()?,
            n.parse::<usize>()?,
        ),
        _ => return Err(usage.into()),
    };
    if !addr.ip().is_loopback() {
        return Err("only addresses on this machine".into());
    }
    let extra = || -> Result<u64, Error> { Ok(args.get(3).ok_or(usage)?.parse::<u64>()?) };
    match mode {
        "ws-echo" => ws_echo(addr, n, Duration::from_secs(extra()?)).await,
        "sse" => sse_fanout(addr, n, extra()?).await,
        "idle-ws" => {
            let (sockets, failed) = open_websockets(addr, n).await;
            hold(sockets.len(), failed).await;
            drop(sockets);
            println!("CLOSED");
            Ok(())
        }
        "idle-sse" => {
            let subscribers = Subscribers::new();
            let (tasks, failed) = open_subscribers(addr, n, &subscribers).await;
            hold(tasks.len(), failed).await;
            for task in tasks {
                task.abort();
            }
            println!("CLOSED");
            Ok(())
        }
        _ => Err(usage.into()),
    }
}

/// Prints `READY`, then waits for the caller's line (or the end of its input).
async fn hold(ok: usize, failed: usize) {
    println!("READY ok={ok} failed={failed}");
    let mut line = String::new();
    let _ = BufReader::new(tokio::io::stdin())
        .read_line(&mut line)
        .await;
}

// --- WebSocket echo ---------------------------------------------------------------------------

async fn ws_echo(addr: SocketAddr, n: usize, seconds: Duration) -> Result<(), Error> {
    let (sockets, failed) = open_websockets(addr, n).await;
    if failed > 0 {
        return Err(format!("{failed} of {n} WebSockets did not open").into());
    }
    // One round trip on each first, so every connection is warm before the window.
    let (go_tx, go) = tokio::sync::watch::channel(false);
    let (warm_tx, mut warm) = tokio::sync::mpsc::unbounded_channel::<()>();
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(n);
    for socket in sockets {
        let (mut go, warm, stop, done) = (go.clone(), warm_tx.clone(), stop.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut socket = socket;
            round_trip(&mut socket).await?;
            let _ = warm.send(());
            go.wait_for(|go| *go).await?;
            let mut count = 0u64;
            while !stop.load(Ordering::Relaxed) {
                round_trip(&mut socket).await?;
                count += 1;
            }
            done.fetch_add(count, Ordering::Relaxed);
            let _ = socket.close(None).await;
            Ok::<(), Error>(())
        }));
    }
    drop(warm_tx);
    let mut warmed = 0;
    while warmed < n && warm.recv().await.is_some() {
        warmed += 1;
    }
    if warmed < n {
        return Err(format!(
            "{} of {n} WebSockets failed their first round trip",
            n - warmed
        )
        .into());
    }
    hold(n, 0).await;
    let started = Instant::now();
    let _ = go_tx.send(true);
    tokio::time::sleep(seconds).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed();
    let mut errors = 0;
    for task in tasks {
        match tokio::time::timeout(STEP_LIMIT, task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(error))) => {
                errors += 1;
                eprintln!("ws-echo: {error}");
            }
            _ => errors += 1,
        }
    }
    println!(
        "DONE messages={} seconds={:.3} errors={errors}",
        done.load(Ordering::Relaxed),
        elapsed.as_secs_f64()
    );
    Ok(())
}

/// Sends the payload and checks that the same text comes back.
async fn round_trip(socket: &mut Socket) -> Result<(), Error> {
    socket.send(Message::text(ECHO_PAYLOAD)).await?;
    loop {
        let message = tokio::time::timeout(STEP_LIMIT, socket.next())
            .await
            .map_err(|_| "no echo within the step limit")?
            .ok_or("the server closed the WebSocket")??;
        match message {
            Message::Text(text) if text.as_str() == ECHO_PAYLOAD => return Ok(()),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => return Err(format!("unexpected echo: {other:?}").into()),
        }
    }
}

async fn open_websockets(addr: SocketAddr, n: usize) -> (Vec<Socket>, usize) {
    let url = format!("ws://{addr}/ws/echo");
    let gate = Arc::new(Semaphore::new(OPENING_AT_ONCE));
    let opening: Vec<_> = (0..n)
        .map(|_| {
            let (url, gate) = (url.clone(), gate.clone());
            tokio::spawn(async move {
                let _permit = gate.acquire_owned().await.ok()?;
                let opened =
                    tokio::time::timeout(STEP_LIMIT, tokio_tungstenite::connect_async(url)).await;
                match opened {
                    Ok(Ok((socket, _))) => Some(socket),
                    Ok(Err(error)) => {
                        eprintln!("opening a WebSocket: {error}");
                        None
                    }
                    Err(_) => None,
                }
            })
        })
        .collect();
    let mut sockets = Vec::with_capacity(n);
    for task in opening {
        if let Ok(Some(socket)) = task.await {
            sockets.push(socket);
        }
    }
    let failed = n - sockets.len();
    (sockets, failed)
}

// --- SSE fan-out ------------------------------------------------------------------------------

/// What every subscriber reports to the publisher: events received in all, and a wake-up when
/// the count the publisher waits for is reached.
struct Subscribers {
    delivered: AtomicU64,
    goal: AtomicU64,
    reached: Notify,
}

impl Subscribers {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            delivered: AtomicU64::new(0),
            goal: AtomicU64::new(u64::MAX),
            reached: Notify::new(),
        })
    }

    fn received(&self) {
        let delivered = self.delivered.fetch_add(1, Ordering::AcqRel) + 1;
        if delivered >= self.goal.load(Ordering::Acquire) {
            self.reached.notify_one();
        }
    }

    async fn wait_for(&self, goal: u64) -> Result<(), Error> {
        self.goal.store(goal, Ordering::Release);
        let wait = async {
            while self.delivered.load(Ordering::Acquire) < goal {
                self.reached.notified().await;
            }
        };
        tokio::time::timeout(STEP_LIMIT, wait).await.map_err(|_| {
            let delivered = self.delivered.load(Ordering::Acquire);
            format!("events never arrived: {delivered} of {goal} delivered").into()
        })
    }
}

async fn sse_fanout(addr: SocketAddr, n: usize, events: u64) -> Result<(), Error> {
    let subscribers = Subscribers::new();
    let (tasks, failed) = open_subscribers(addr, n, &subscribers).await;
    if failed > 0 {
        return Err(format!("{failed} of {n} SSE subscribers did not connect").into());
    }
    let mut publisher = connect_http(addr).await?;
    // Unmeasured events until the server counts every subscriber: a server may answer a
    // subscriber's head before it has registered it. Each goes to as many as it counted.
    let mut warm_up = 0;
    let opened_at = Instant::now();
    loop {
        let subscribed = publish(&mut publisher, addr).await?;
        warm_up += subscribed;
        if subscribed == n as u64 {
            break;
        }
        if opened_at.elapsed() > STEP_LIMIT {
            return Err(format!("the server counts {subscribed} subscribers, not {n}").into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    subscribers.wait_for(warm_up).await?;
    hold(n, 0).await;
    let started = Instant::now();
    let mut fanout = Vec::with_capacity(events as usize);
    for event in 1..=events {
        let sent = Instant::now();
        let subscribed = publish(&mut publisher, addr).await?;
        if subscribed != n as u64 {
            return Err(format!("the server counts {subscribed} subscribers, not {n}").into());
        }
        subscribers.wait_for(warm_up + event * n as u64).await?;
        fanout.push(sent.elapsed().as_secs_f64() * 1e3);
    }
    let elapsed = started.elapsed();
    fanout.sort_by(f64::total_cmp);
    let at = |q: f64| fanout[((fanout.len() - 1) as f64 * q).round() as usize];
    println!(
        "DONE events={events} delivered={} seconds={:.3} fanout_p50_ms={:.3} fanout_p99_ms={:.3}",
        events * n as u64,
        elapsed.as_secs_f64(),
        at(0.5),
        at(0.99)
    );
    for task in tasks {
        task.abort();
    }
    Ok(())
}

type Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

async fn connect_http(addr: SocketAddr) -> Result<Sender, Error> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

/// `POST /sse/publish`: the server sends one event to every subscriber and answers how many
/// there are (`{"subscribers":N}`).
async fn publish(publisher: &mut Sender, addr: SocketAddr) -> Result<u64, Error> {
    let request = Request::post("/sse/publish")
        .header("host", addr.to_string())
        .body(Empty::new())?;
    let response = publisher.send_request(request).await?;
    if response.status() != 200 {
        return Err(format!("publish answered {}", response.status()).into());
    }
    let body = response.into_body().collect().await?.to_bytes();
    let text = std::str::from_utf8(&body)?;
    let count = text
        .trim()
        .strip_prefix(r#"{"subscribers":"#)
        .and_then(|rest| rest.strip_suffix('}'))
        .ok_or_else(|| format!("publish answered {text:?}"))?;
    Ok(count.trim().parse()?)
}

async fn open_subscribers(
    addr: SocketAddr,
    n: usize,
    subscribers: &Arc<Subscribers>,
) -> (Vec<tokio::task::JoinHandle<()>>, usize) {
    let gate = Arc::new(Semaphore::new(OPENING_AT_ONCE));
    let (opened_tx, mut opened_rx) = tokio::sync::mpsc::unbounded_channel::<bool>();
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (gate, subscribers, opened) =
                (gate.clone(), subscribers.clone(), opened_tx.clone());
            tokio::spawn(async move {
                let permit = gate.acquire_owned().await;
                let body = tokio::time::timeout(STEP_LIMIT, subscribe(addr)).await;
                drop(permit);
                let Ok(Ok((_sender, body))) = body else {
                    if let Ok(Err(error)) = body {
                        eprintln!("subscribing: {error}");
                    }
                    let _ = opened.send(false);
                    return;
                };
                let _ = opened.send(true);
                drop(opened);
                if let Err(error) = read_events(body, &subscribers).await {
                    eprintln!("reading events: {error}");
                }
            })
        })
        .collect();
    // Each task says once whether it subscribed, then keeps its sender while it reads.
    let mut ok = 0;
    for _ in 0..n {
        match opened_rx.recv().await {
            Some(opened) => ok += usize::from(opened),
            None => break,
        }
    }
    (tasks, n - ok)
}

/// Opens `GET /sse/events` and returns its body once the response's head has arrived, with
/// the connection's sender, which must live as long as the body or hyper closes the connection.
async fn subscribe(addr: SocketAddr) -> Result<(Sender, hyper::body::Incoming), Error> {
    let mut sender = connect_http(addr).await?;
    let request = Request::get("/sse/events")
        .header("host", addr.to_string())
        .header("accept", "text/event-stream")
        .body(Empty::new())?;
    let response = sender.send_request(request).await?;
    let media_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if response.status() != 200 || !media_type.starts_with("text/event-stream") {
        return Err(format!("subscribe answered {} {media_type}", response.status()).into());
    }
    Ok((sender, response.into_body()))
}

/// Counts every complete event that has a `data` line (comments and keep-alives are not
/// events), across frames that split lines anywhere.
async fn read_events(
    mut body: hyper::body::Incoming,
    subscribers: &Subscribers,
) -> Result<(), Error> {
    let mut line = Vec::new();
    let mut has_data = false;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        for &byte in data.iter() {
            if byte != b'\n' {
                line.push(byte);
                continue;
            }
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if line.is_empty() {
                if has_data {
                    subscribers.received();
                }
                has_data = false;
            } else if line.starts_with(b"data:") {
                has_data = true;
            }
            line.clear();
        }
    }
    Ok(())
}
