//! The benchmark service on actix-web 4, with one worker.
//!
//! Extractor errors are mapped to the statuses every server answers: 422 for a bad path or
//! query parameter or a body of the wrong shape, 400 for malformed JSON, 415 without
//! `application/json`, 413 for a body over 2 MiB. Keep-alive is raised from actix's 5 s so that
//! the idle-connection benchmark's connections stay open (the others keep theirs forever).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::error::{InternalError, JsonPayloadError};
use actix_web::http::KeepAlive;
use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, HttpServer, Responder, get, post, web};
use serde::{Deserialize, Serialize};

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

fn problem(status: StatusCode, detail: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .body(serde_json::json!({ "status": status.as_u16(), "detail": detail.into() }).to_string())
}

fn greeting(name: &str) -> Greeting {
    Greeting {
        message: format!("Hello, {name}!"),
    }
}

#[get("/hello/{name}")]
async fn hello(name: web::Path<String>) -> impl Responder {
    web::Json(greeting(&name))
}

#[get("/sync/hello/{name}")]
async fn sync_hello(name: web::Path<String>) -> HttpResponse {
    let name = name.into_inner();
    let result = web::block(move || {
        let thread = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_owned();
        (thread, greeting(&name))
    })
    .await;
    match result {
        Ok((thread, greeting)) => HttpResponse::Ok()
            .insert_header(("x-thread", thread))
            .json(greeting),
        Err(_) => problem(StatusCode::INTERNAL_SERVER_ERROR, "handler panicked"),
    }
}

#[get("/items/{id}")]
async fn read_item(id: web::Path<u64>) -> HttpResponse {
    let id = id.into_inner();
    if id == 0 {
        return problem(StatusCode::NOT_FOUND, "item 0 does not exist");
    }
    HttpResponse::Ok().json(ItemSummary {
        id,
        name: format!("item {id}"),
    })
}

#[get("/items")]
async fn list_items(page: web::Query<Page>) -> HttpResponse {
    let Page { limit, offset } = page.into_inner();
    if !(1..=100).contains(&limit) {
        return problem(StatusCode::UNPROCESSABLE_ENTITY, "limit must be 1 to 100");
    }
    let items: Vec<ItemSummary> = (offset + 1..=offset + u64::from(limit))
        .map(|id| ItemSummary {
            id,
            name: format!("item {id}"),
        })
        .collect();
    HttpResponse::Ok().json(items)
}

#[post("/items")]
async fn create_item(ids: web::Data<AtomicU64>, new: web::Json<NewItem>) -> HttpResponse {
    let new = new.into_inner();
    let chars = new.name.chars().count();
    if !(1..=50).contains(&chars) || !(new.price >= 0.0) {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "name must be 1 to 50 characters, price not negative",
        );
    }
    let id = ids.fetch_add(1, Ordering::Relaxed) + 1;
    HttpResponse::Created().json(Item {
        id,
        name: new.name,
        price: new.price,
    })
}

#[get("/io")]
async fn io() -> impl Responder {
    actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    web::Json(Done { ok: true })
}

fn main() -> std::io::Result<()> {
    let addr = bench_work::bind_addr();
    let ids = web::Data::new(AtomicU64::new(0));
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(ids.clone())
                .app_data(web::PathConfig::default().error_handler(|err, _req| {
                    let response = problem(StatusCode::UNPROCESSABLE_ENTITY, err.to_string());
                    InternalError::from_response(err, response).into()
                }))
                .app_data(web::QueryConfig::default().error_handler(|err, _req| {
                    let response = problem(StatusCode::UNPROCESSABLE_ENTITY, err.to_string());
                    InternalError::from_response(err, response).into()
                }))
                .app_data(
                    web::JsonConfig::default()
                        .limit(2 * 1024 * 1024)
                        .content_type_required(true)
                        .error_handler(|err, _req| {
                            let response = json_error(&err);
                            InternalError::from_response(err, response).into()
                        }),
                )
                .service(hello)
                .service(sync_hello)
                .service(read_item)
                .service(list_items)
                .service(create_item)
                .service(io)
                .default_service(web::to(|| async {
                    problem(StatusCode::NOT_FOUND, "no route")
                }))
        })
        .workers(1)
        .backlog(4096)
        .keep_alive(KeepAlive::Timeout(Duration::from_secs(300)))
        // Like the others: TCP_NODELAY (actix 4.18 leaves it off) and h2c detection.
        .on_connect(|connection, _extensions| {
            if let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
                let _ = stream.set_nodelay(true);
            }
        })
        .bind_auto_h2c(addr)?
        .run()
        .await
    })
}

fn json_error(error: &JsonPayloadError) -> HttpResponse {
    match error {
        JsonPayloadError::Deserialize(inner) if inner.is_data() => {
            problem(StatusCode::UNPROCESSABLE_ENTITY, inner.to_string())
        }
        JsonPayloadError::Deserialize(inner) => problem(StatusCode::BAD_REQUEST, inner.to_string()),
        JsonPayloadError::ContentType => problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected application/json",
        ),
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            problem(StatusCode::PAYLOAD_TOO_LARGE, "body too large")
        }
        other => problem(StatusCode::BAD_REQUEST, other.to_string()),
    }
}
