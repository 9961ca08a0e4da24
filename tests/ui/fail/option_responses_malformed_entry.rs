use oxapi::prelude::*;

#[model]
struct Conflict {
    name: String,
}

#[post("/items", responses(404 = 5, 409 = ("taken"), 410 = ("gone", Conflict, 1)))]
async fn create_item() -> String {
    String::new()
}

fn main() {}
