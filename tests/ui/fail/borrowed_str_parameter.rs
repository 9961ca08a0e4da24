use oxapi::prelude::*;

#[get("/hello/{name}")]
async fn hello(name: &str) -> String {
    format!("Hello, {name}!")
}

fn main() {}
