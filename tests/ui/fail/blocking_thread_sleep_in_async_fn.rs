use oxapi::prelude::*;
use std::thread;
use std::time::Duration;

#[get("/slow")]
async fn slow() -> &'static str {
    std::thread::sleep(Duration::from_millis(10));
    thread::sleep(Duration::from_millis(10));
    "done"
}

fn main() {}
