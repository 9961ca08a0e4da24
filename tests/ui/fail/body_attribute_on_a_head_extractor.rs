use oxapi::prelude::*;

// `#[body]` on an extractor that reads only the head.
#[post("/items")]
async fn create_item(#[body] headers: HeaderMap) -> String {
    headers.len().to_string()
}

fn main() {}
