//! What the blocking-call check leaves alone: tokio's calls of the same short names, work
//! handed to another thread, `allow_blocking`, and plain `fn` handlers.

use oxapi::prelude::*;
use oxapi::tokio::fs::{self, File};
use oxapi::tokio::io::AsyncReadExt;
use oxapi::tokio::net::TcpStream;
use oxapi::tokio::time::sleep;
use std::time::Duration;

fn internal(error: std::io::Error) -> ApiError {
    ApiError::internal(error.to_string())
}

/// tokio's `fs`, `File`, `TcpStream` and `sleep`, awaited or joined.
#[get("/tokio")]
async fn tokio_calls() -> Result<String, ApiError> {
    sleep(Duration::from_millis(1)).await;
    let mut text = fs::read_to_string("a.txt").await.map_err(internal)?;
    let mut file = File::open("b.txt").await.map_err(internal)?;
    file.read_to_string(&mut text).await.map_err(internal)?;
    let (a, b) = oxapi::tokio::join!(fs::read("a"), fs::read("b"));
    let pending = fs::metadata("c");
    let meta = pending.await.map_err(internal)?;
    let stream = TcpStream::connect("127.0.0.1:9").await.map_err(internal)?;
    Ok(format!("{a:?} {b:?} {meta:?} {stream:?}"))
}

/// std's blocking calls where they belong: on another thread.
#[get("/elsewhere")]
async fn handed_off() -> Result<String, ApiError> {
    let text = oxapi::tokio::task::spawn_blocking(|| std::fs::read_to_string("a.txt"))
        .await
        .map_err(|error| ApiError::internal(error.to_string()))?
        .map_err(internal)?;
    let handle = std::thread::spawn(|| std::thread::sleep(Duration::from_millis(1)));
    drop(handle);
    Ok(text)
}

/// Opted out: the author knows this call is quick.
#[get("/allowed", allow_blocking)]
async fn allowed() -> String {
    std::fs::read_to_string("/proc/self/comm").unwrap_or_default()
}

/// A plain `fn` runs on the blocking pool: std's calls are what it is for.
#[get("/plain")]
fn plain() -> Result<String, ApiError> {
    std::thread::sleep(Duration::from_millis(1));
    std::fs::read_to_string("a.txt").map_err(internal)
}

fn main() {
    let _ = App::new().routes(routes![tokio_calls, handed_off, allowed, plain]);
}
