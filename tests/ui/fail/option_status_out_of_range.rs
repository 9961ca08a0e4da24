use oxapi::prelude::*;

#[post("/items", status = 99)]
async fn create_item() -> String {
    String::new()
}

fn main() {}
