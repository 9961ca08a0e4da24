use oxapi::prelude::*;

#[get("/items")]
async fn list_items(flag: bool) -> String {
    flag.to_string()
}

fn main() {}
