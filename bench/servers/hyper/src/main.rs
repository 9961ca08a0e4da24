//! The benchmark service on raw hyper 1: the floor. hyper-util's auto builder (HTTP/1.1 and
//! h2c, as oxapi), a tokio runtime with one worker thread, routing by splitting the path by
//! hand, serde_json for bodies, validation by hand. With `BENCH_LAYERS=1`, behind tower-http's
//! trace, CORS and compression layers (`tower::ServiceBuilder`, served through hyper-util's
//! `TowerToHyperService`). With `--tls-cert PEM --tls-key PEM`, HTTPS only, set up as oxapi's
//! (`bench_work::tls`: rustls with ring, ALPN `h2` then `http/1.1`).

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bench_work::tls::TlsAcceptor;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, TcpSocket};
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::trace::TraceLayer;

const BODY_LIMIT: usize = 2 * 1024 * 1024;

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

#[derive(Serialize)]
struct Greeting {
    message: String,
}

#[derive(Serialize)]
struct ItemSummary {
    id: u64,
    name: String,
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

type Resp = Response<Full<Bytes>>;

fn json<T: Serialize>(status: StatusCode, value: &T) -> Resp {
    let body = serde_json::to_vec(value).expect("serializable");
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn problem(status: StatusCode, detail: &str) -> Resp {
    #[derive(Serialize)]
    struct Problem<'a> {
        status: u16,
        detail: &'a str,
    }
    let mut response = json(
        status,
        &Problem {
            status: status.as_u16(),
            detail,
        },
    );
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

fn greeting(name: &str) -> Greeting {
    Greeting {
        message: format!("Hello, {name}!"),
    }
}

fn read_item(id: &str) -> Resp {
    let Ok(id) = id.parse::<u64>() else {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "id is not a non-negative integer",
        );
    };
    if id == 0 {
        return problem(StatusCode::NOT_FOUND, "item 0 does not exist");
    }
    json(
        StatusCode::OK,
        &ItemSummary {
            id,
            name: format!("item {id}"),
        },
    )
}

fn list_items(query: Option<&str>) -> Resp {
    let mut limit: u32 = 10;
    let mut offset: u64 = 0;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let ok = match key {
            "limit" => value.parse().map(|v| limit = v).is_ok(),
            "offset" => value.parse().map(|v| offset = v).is_ok(),
            _ => true,
        };
        if !ok {
            return problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid query parameter");
        }
    }
    if !(1..=100).contains(&limit) {
        return problem(StatusCode::UNPROCESSABLE_ENTITY, "limit must be 1 to 100");
    }
    let items: Vec<ItemSummary> = (offset + 1..=offset + u64::from(limit))
        .map(|id| ItemSummary {
            id,
            name: format!("item {id}"),
        })
        .collect();
    json(StatusCode::OK, &items)
}

async fn create_item(request: Request<Incoming>) -> Resp {
    let is_json = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected application/json",
        );
    }
    let body = match Limited::new(request.into_body(), BODY_LIMIT)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return problem(StatusCode::PAYLOAD_TOO_LARGE, "body too large or broken"),
    };
    let new: NewItem = match serde_json::from_slice(&body) {
        Ok(new) => new,
        Err(error) if error.is_data() => {
            return problem(StatusCode::UNPROCESSABLE_ENTITY, &error.to_string());
        }
        Err(error) => return problem(StatusCode::BAD_REQUEST, &error.to_string()),
    };
    let chars = new.name.chars().count();
    if !(1..=50).contains(&chars) || !(new.price >= 0.0) {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "name must be 1 to 50 characters, price not negative",
        );
    }
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed) + 1;
    json(
        StatusCode::CREATED,
        &Item {
            id,
            name: new.name,
            price: new.price,
        },
    )
}

async fn handle(request: Request<Incoming>) -> Result<Resp, Infallible> {
    let path = request.uri().path();
    let mut segments = path.strip_prefix('/').unwrap_or(path).split('/');
    let first = segments.next().unwrap_or("");
    let second = segments.next();
    let third = segments.next();
    let rest = segments.next();
    let method = request.method();
    let response = match (method, first, second, third, rest) {
        (&Method::GET, "hello", Some(name), None, None) if !name.is_empty() => {
            json(StatusCode::OK, &greeting(name))
        }
        (&Method::GET, "sync", Some("hello"), Some(name), None) if !name.is_empty() => {
            let name = name.to_owned();
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
                    let mut response = json(StatusCode::OK, &greeting);
                    if let Ok(value) = HeaderValue::from_str(&thread) {
                        response.headers_mut().insert("x-thread", value);
                    }
                    response
                }
                Err(_) => problem(StatusCode::INTERNAL_SERVER_ERROR, "handler panicked"),
            }
        }
        (&Method::GET, "items", Some(id), None, None) if !id.is_empty() => read_item(id),
        (&Method::GET, "items", None, None, None) => list_items(request.uri().query()),
        (&Method::POST, "items", None, None, None) => create_item(request).await,
        (&Method::GET, "io", None, None, None) => {
            tokio::time::sleep(Duration::from_millis(10)).await;
            json(StatusCode::OK, &Done { ok: true })
        }
        _ => problem(StatusCode::NOT_FOUND, "no route"),
    };
    Ok(response)
}

fn main() {
    let args = bench_work::server_args();
    let tls = args.tls.as_ref().map(bench_work::tls::acceptor);
    let layers = bench_work::layers_enabled();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let socket = TcpSocket::new_v4().expect("socket");
        socket.set_reuseaddr(true).expect("SO_REUSEADDR");
        socket.bind(args.bind).expect("bind");
        let listener = socket.listen(4096).expect("listen");
        if layers {
            // Outermost first (`ServiceBuilder` order): trace, CORS, compression, then `handle`.
            let service = ServiceBuilder::new()
                .layer(TraceLayer::new_for_http())
                .layer(CorsLayer::permissive())
                .layer(CompressionLayer::new())
                .service(tower::service_fn(handle));
            serve(listener, tls, TowerToHyperService::new(service)).await;
        } else {
            serve(listener, tls, hyper::service::service_fn(handle)).await;
        }
    });
}

/// Accepts connections forever, serving each with a clone of `service`: over TLS with `tls`,
/// else plain HTTP/1.1 and h2c.
async fn serve<S, B>(listener: TcpListener, tls: Option<TlsAcceptor>, service: S)
where
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if let Some(acceptor) = tls {
        return bench_work::tls::serve(listener, acceptor, service).await;
    }
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service.clone())
            .into_owned();
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
}
