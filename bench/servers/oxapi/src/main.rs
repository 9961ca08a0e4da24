//! The benchmark service on oxapi: `examples/hello` itself (its models, routes and status
//! codes), plus `GET /io` and the isolation benchmark's slow routes, served on a tokio runtime
//! with ONE worker thread (the blocking pool keeps its default size). With `BENCH_LAYERS=1`,
//! behind tower-http's trace, CORS and compression layers (`App::layer`). The realtime routes
//! (`/ws/echo`, `/sse/events`, `/sse/publish`) are oxapi's own WebSocket and SSE; `POST /upload`
//! is a `Multipart` counting a file's bytes, `GET /static/..` `App::static_files`. With
//! `--tls-cert PEM --tls-key PEM`, HTTPS through `App::tls`, as `App::run` does with the same
//! flags.

use std::process::ExitCode;
use std::time::Duration;

use oxapi::futures::{Stream, StreamExt};
use oxapi::prelude::*;
use oxapi::tokio::sync::broadcast;
use oxapi::ws::WebSocket;
use oxapi::{Event, Sse};
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::trace::TraceLayer;

/// A finished piece of work.
#[model]
pub struct Done {
    /// Always true.
    pub ok: bool,
}

/// Waits 10 ms on the event loop, like a call to a database or another service.
#[get("/io")]
pub async fn io() -> Json<Done> {
    oxapi::tokio::time::sleep(Duration::from_millis(10)).await;
    Json(Done { ok: true })
}

/// 50 ms of CPU time, on the blocking pool.
#[get("/work/cpu")]
pub fn work_cpu() -> Json<Done> {
    std::hint::black_box(bench_work::burn_cpu());
    Json(Done { ok: true })
}

/// A 50 ms blocking sleep, on the blocking pool.
#[get("/work/sleep")]
pub fn work_sleep() -> Json<Done> {
    bench_work::block_sleep();
    Json(Done { ok: true })
}

/// Every text or binary message comes back as it was.
#[websocket("/ws/echo")]
pub async fn ws_echo(mut socket: WebSocket) {
    while let Some(Ok(message)) = socket.recv().await {
        if socket.send_message(message).await.is_err() {
            break;
        }
    }
}

/// The event the SSE fan-out sends to every subscriber.
#[model]
#[derive(Clone, Copy)]
pub struct Tick {
    /// The event's number, from 1.
    pub seq: u64,
    /// How many subscribers it was sent to.
    pub subscribers: u64,
}

/// How many subscribers an event was sent to.
#[model]
pub struct Published {
    /// Subscribers counted when the event was sent.
    pub subscribers: u64,
}

/// The SSE fan-out's channel: every subscriber holds a receiver.
pub struct Ticks {
    sender: broadcast::Sender<Tick>,
    seq: std::sync::atomic::AtomicU64,
}

/// A broadcast receiver as a stream; a subscriber that fell behind skips what it missed.
fn ticks(receiver: broadcast::Receiver<Tick>) -> impl Stream<Item = Tick> + Send {
    oxapi::futures::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(tick) => return Some((tick, receiver)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

/// Every published tick, as a JSON `data` line, until the client leaves.
#[get("/sse/events")]
pub async fn sse_events(channel: State<Ticks>) -> Sse<Tick> {
    Sse::new(ticks(channel.sender.subscribe()).map(Event::data))
}

/// One tick to every subscriber; answers how many there are.
#[post("/sse/publish")]
pub async fn sse_publish(channel: State<Ticks>) -> Json<Published> {
    let seq = channel
        .seq
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        + 1;
    let subscribers = channel.sender.receiver_count() as u64;
    let sent = channel.sender.send(Tick { seq, subscribers }).unwrap_or(0) as u64;
    Json(Published { subscribers: sent })
}

/// How many bytes an upload carried.
#[model]
pub struct Uploaded {
    /// The file part's length.
    pub bytes: u64,
}

/// Reads a multipart body's file part as it arrives, counting and discarding its bytes (the
/// same work as axum's route: nothing is stored).
// `bench_work::UPLOAD_LIMIT`, spelled out: the attribute takes a literal.
#[post("/upload", body_limit = 1_073_741_824)]
pub async fn upload(mut form: oxapi::Multipart) -> Result<Json<Uploaded>, oxapi::Rejection> {
    let mut bytes = 0;
    while let Some(mut field) = form.next_field().await? {
        while let Some(chunk) = field.chunk().await? {
            bytes += chunk.len() as u64;
        }
    }
    Ok(Json(Uploaded { bytes }))
}

/// The blocking pool's policy: `BENCH_BLOCKING_PRIORITY=background` (isolation first) or
/// `normal`; else oxapi's default.
fn blocking_priority() -> oxapi::BlockingPriority {
    match std::env::var("BENCH_BLOCKING_PRIORITY").as_deref() {
        Ok("background") => oxapi::BlockingPriority::Background,
        Ok("normal") => oxapi::BlockingPriority::Normal,
        _ => oxapi::BlockingPriority::default(),
    }
}

fn main() -> ExitCode {
    let args = bench_work::server_args();
    // `App::run` would build a runtime with one worker per core; the benchmark gives every
    // server one core, so: one worker thread, everything else as `App::run` has it.
    let runtime = oxapi::tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let mut app = hello::app()
        .routes(routes![
            io,
            work_cpu,
            work_sleep,
            ws_echo,
            sse_events,
            sse_publish,
            upload
        ])
        .static_files("/static", bench_work::static_dir())
        .state(Ticks {
            sender: broadcast::channel(64).0,
            seq: std::sync::atomic::AtomicU64::new(0),
        })
        .blocking_priority(blocking_priority());
    if bench_work::layers_enabled() {
        // A layer added later wraps the earlier ones: trace, CORS, compression, then routing,
        // as the other servers.
        app = app
            .layer(CompressionLayer::new())
            .layer(CorsLayer::permissive())
            .layer(TraceLayer::new_for_http());
    }
    if let Some(files) = &args.tls {
        // What `App::run` does with `--tls-cert` and `--tls-key`.
        match oxapi::TlsConfig::from_pem_files(&files.cert, &files.key) {
            Ok(tls) => app = app.tls(tls),
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    match runtime.block_on(app.serve(args.bind)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
