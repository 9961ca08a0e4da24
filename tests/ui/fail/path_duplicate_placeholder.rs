use oxapi::prelude::*;

#[get("/items/{id}/parts/{id}")]
async fn read_part(id: u64) -> String {
    id.to_string()
}

fn main() {}
