use oxapi::prelude::*;

#[get("/items", summary = "List items")]
async fn list_items() -> String {
    String::new()
}

fn main() {}
