use oxapi::prelude::*;

#[post("/items", status = "created")]
async fn create_item() -> String {
    String::new()
}

fn main() {}
