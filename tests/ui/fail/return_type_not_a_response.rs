use oxapi::prelude::*;

#[model]
struct Item {
    id: u64,
}

#[get("/items/{id}")]
async fn read_item(id: u64) -> Item {
    Item { id }
}

fn main() {}
