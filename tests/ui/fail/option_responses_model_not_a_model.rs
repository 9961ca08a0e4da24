use oxapi::prelude::*;

struct Conflict {
    name: String,
}

#[post("/items", responses(409 = ("The name is taken.", Conflict)))]
async fn create_item() -> String {
    String::new()
}

fn main() {}
