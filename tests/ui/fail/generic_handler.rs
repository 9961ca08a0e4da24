use oxapi::prelude::*;

#[get("/items")]
async fn list_items<T>() -> String {
    String::new()
}

fn main() {}
