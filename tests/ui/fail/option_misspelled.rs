use oxapi::prelude::*;

#[post("/items", stauts = 201)]
async fn create_item() -> String {
    String::new()
}

fn main() {}
