use oxapi::prelude::*;

#[get("/items/{id}")]
async fn read_item() {}

fn main() {}
