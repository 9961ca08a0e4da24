use oxapi::prelude::*;

#[route(path = "/cache")]
async fn purge_cache() -> String {
    String::new()
}

fn main() {}
