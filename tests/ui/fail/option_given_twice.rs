use oxapi::prelude::*;

#[post("/items", status = 201, status = 202)]
async fn create_item() -> String {
    String::new()
}

fn main() {}
