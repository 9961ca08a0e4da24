use oxapi::prelude::*;

#[get("/items")]
async fn list_items(#[query] name: impl ToString) -> String {
    name.to_string()
}

fn main() {}
