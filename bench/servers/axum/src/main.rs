//! The benchmark service on axum 0.8, on a tokio runtime with one worker thread.
//!
//! Rejections of the path and the query answer 422 (axum's default is 400) so that every
//! server answers the same statuses; the JSON body's rejections are axum's own (400 for
//! malformed JSON, 422 for the wrong shape, 415 without `application/json`), which are
//! already oxapi's. The slow routes come twice: the work inline in an `async fn` (what a naive
//! user writes) and moved to `spawn_blocking`. With `BENCH_LAYERS=1`, every route is behind
//! tower-http's trace, CORS and compression layers (`Router::layer`). The realtime routes
//! (`/ws/echo`, `/sse/events`, `/sse/publish`) are axum's own WebSocket and SSE, as its
//! documentation writes them. `POST /upload` is axum's `Multipart` counting a file's bytes,
//! `GET /static/..` tower-http's `ServeDir`. With `--tls-cert PEM --tls-key PEM`, HTTPS
//! (axum has no TLS of its own): the router served through hyper-util behind raw hyper's TLS
//! (`bench_work::tls`).

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::ws::{self, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::{Json, Router};
use futures_util::{Stream, StreamExt};
use hyper_util::service::TowerToHyperService;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

#[derive(Serialize)]
struct Greeting {
    message: String,
}

#[derive(Serialize)]
struct ItemSummary {
    id: u64,
    name: String,
}

fn default_limit() -> u32 {
    10
}

#[derive(Deserialize)]
struct Page {
    #[serde(default = "default_limit")]
    limit: u32,
    #[serde(default)]
    offset: u64,
}

#[derive(Deserialize)]
struct NewItem {
    name: String,
    price: f64,
}

#[derive(Serialize)]
struct Item {
    id: u64,
    name: String,
    price: f64,
}

#[derive(Serialize)]
struct Done {
    ok: bool,
}

/// The event the SSE fan-out sends to every subscriber.
#[derive(Clone, Copy, Serialize)]
struct Tick {
    seq: u64,
    subscribers: u64,
}

#[derive(Clone)]
struct AppState {
    ids: Arc<AtomicU64>,
    seq: Arc<AtomicU64>,
    ticks: broadcast::Sender<Tick>,
}

fn problem(status: StatusCode, detail: impl Into<String>) -> Response {
    let body = serde_json::json!({ "status": status.as_u16(), "detail": detail.into() });
    (
        status,
        [("content-type", "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

fn greeting(name: &str) -> Greeting {
    Greeting {
        message: format!("Hello, {name}!"),
    }
}

async fn hello(Path(name): Path<String>) -> Json<Greeting> {
    Json(greeting(&name))
}

async fn sync_hello(Path(name): Path<String>) -> Response {
    let joined = tokio::task::spawn_blocking(move || {
        let thread = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_owned();
        (thread, greeting(&name))
    })
    .await;
    match joined {
        Ok((thread, greeting)) => {
            let mut headers = HeaderMap::new();
            if let Ok(value) = HeaderValue::from_str(&thread) {
                headers.insert("x-thread", value);
            }
            (headers, Json(greeting)).into_response()
        }
        Err(_) => problem(StatusCode::INTERNAL_SERVER_ERROR, "handler panicked"),
    }
}

async fn read_item(id: Result<Path<u64>, PathRejection>) -> Response {
    let id = match id {
        Ok(Path(id)) => id,
        Err(rejection) => return problem(StatusCode::UNPROCESSABLE_ENTITY, rejection.body_text()),
    };
    if id == 0 {
        return problem(StatusCode::NOT_FOUND, "item 0 does not exist");
    }
    Json(ItemSummary {
        id,
        name: format!("item {id}"),
    })
    .into_response()
}

async fn list_items(page: Result<Query<Page>, QueryRejection>) -> Response {
    let Page { limit, offset } = match page {
        Ok(Query(page)) => page,
        Err(rejection) => return problem(StatusCode::UNPROCESSABLE_ENTITY, rejection.body_text()),
    };
    if !(1..=100).contains(&limit) {
        return problem(StatusCode::UNPROCESSABLE_ENTITY, "limit must be 1 to 100");
    }
    let items: Vec<ItemSummary> = (offset + 1..=offset + u64::from(limit))
        .map(|id| ItemSummary {
            id,
            name: format!("item {id}"),
        })
        .collect();
    Json(items).into_response()
}

async fn create_item(State(state): State<AppState>, Json(new): Json<NewItem>) -> Response {
    let ids = &state.ids;
    let chars = new.name.chars().count();
    if !(1..=50).contains(&chars) || !(new.price >= 0.0) {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "name must be 1 to 50 characters, price not negative",
        );
    }
    let id = ids.fetch_add(1, Ordering::Relaxed) + 1;
    (
        StatusCode::CREATED,
        Json(Item {
            id,
            name: new.name,
            price: new.price,
        }),
    )
        .into_response()
}

/// `GET /ws/echo`: every text or binary message comes back as it was.
async fn ws_echo(upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(|mut socket: WebSocket| async move {
        while let Some(Ok(message)) = socket.recv().await {
            let echo = match message {
                ws::Message::Text(_) | ws::Message::Binary(_) => message,
                ws::Message::Close(_) => break,
                ws::Message::Ping(_) | ws::Message::Pong(_) => continue,
            };
            if socket.send(echo).await.is_err() {
                break;
            }
        }
    })
}

/// `GET /sse/events`: every published tick, as a JSON `data` line, until the client leaves.
async fn sse_events(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let ticks = futures_util::stream::unfold(state.ticks.subscribe(), |mut ticks| async move {
        loop {
            match ticks.recv().await {
                Ok(tick) => return Some((Event::default().json_data(tick), ticks)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
    .map(|event| Ok(event.unwrap_or_default()));
    Sse::new(ticks)
}

/// `POST /sse/publish`: one tick to every subscriber; answers how many there are.
async fn sse_publish(State(state): State<AppState>) -> Response {
    let seq = state.seq.fetch_add(1, Ordering::Relaxed) + 1;
    let subscribers = state.ticks.receiver_count() as u64;
    let sent = state.ticks.send(Tick { seq, subscribers }).unwrap_or(0);
    Json(serde_json::json!({ "subscribers": sent })).into_response()
}

async fn io() -> Json<Done> {
    tokio::time::sleep(Duration::from_millis(10)).await;
    Json(Done { ok: true })
}

/// The naive user: CPU work inline in an async handler, on the event loop.
async fn inline_cpu() -> Json<Done> {
    std::hint::black_box(bench_work::burn_cpu());
    Json(Done { ok: true })
}

/// The naive user: a blocking sleep inline in an async handler, on the event loop.
async fn inline_sleep() -> Json<Done> {
    bench_work::block_sleep();
    Json(Done { ok: true })
}

async fn blocking_cpu() -> Json<Done> {
    let _ = tokio::task::spawn_blocking(|| std::hint::black_box(bench_work::burn_cpu())).await;
    Json(Done { ok: true })
}

async fn blocking_sleep() -> Json<Done> {
    let _ = tokio::task::spawn_blocking(bench_work::block_sleep).await;
    Json(Done { ok: true })
}

/// Reads a multipart body's file part as it arrives, counting and discarding its bytes.
async fn upload(mut form: Multipart) -> Result<Json<serde_json::Value>, StatusCode> {
    let mut bytes = 0u64;
    while let Some(mut field) = form.next_field().await.map_err(|error| error.status())? {
        while let Some(chunk) = field.chunk().await.map_err(|error| error.status())? {
            bytes += chunk.len() as u64;
        }
    }
    Ok(Json(serde_json::json!({ "bytes": bytes })))
}

fn main() {
    let args = bench_work::server_args();
    let tls = args.tls.as_ref().map(bench_work::tls::acceptor);
    let app = Router::new()
        .route("/hello/{name}", get(hello))
        .route("/sync/hello/{name}", get(sync_hello))
        .route("/items/{id}", get(read_item))
        .route("/items", get(list_items).post(create_item))
        .route("/io", get(io))
        .route("/work/inline/cpu", get(inline_cpu))
        .route("/work/inline/sleep", get(inline_sleep))
        .route("/work/blocking/cpu", get(blocking_cpu))
        .route("/work/blocking/sleep", get(blocking_sleep))
        .route("/ws/echo", get(ws_echo))
        .route("/sse/events", get(sse_events))
        .route("/sse/publish", post(sse_publish))
        .route(
            "/upload",
            post(upload).layer(DefaultBodyLimit::max(bench_work::UPLOAD_LIMIT)),
        )
        .nest_service("/static", ServeDir::new(bench_work::static_dir()))
        .with_state(AppState {
            ids: Arc::new(AtomicU64::new(0)),
            seq: Arc::new(AtomicU64::new(0)),
            ticks: broadcast::channel(64).0,
        });
    // Router::layer: the layer added last is outermost, so trace, CORS, compression, then the
    // route, as the other servers. axum applies these to each route (after routing).
    let app = if bench_work::layers_enabled() {
        app.layer(CompressionLayer::new())
            .layer(CorsLayer::permissive())
            .layer(TraceLayer::new_for_http())
    } else {
        app
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_reuseaddr(true).expect("SO_REUSEADDR");
        socket.bind(args.bind).expect("bind");
        let listener = socket.listen(4096).expect("listen");
        match tls {
            // axum::serve has no TLS: the router as a hyper service, as axum::serve serves it,
            // behind the same handshake as raw hyper's.
            Some(acceptor) => {
                bench_work::tls::serve(listener, acceptor, TowerToHyperService::new(app)).await;
            }
            None => {
                let listener = listener.tap_io(|stream| {
                    let _ = stream.set_nodelay(true);
                });
                axum::serve(listener, app).await.expect("serve");
            }
        }
    });
}
