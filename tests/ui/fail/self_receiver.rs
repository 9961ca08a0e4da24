use oxapi::prelude::*;

struct Service;

impl Service {
    #[get("/items")]
    async fn list_items(&self) -> String {
        String::new()
    }
}

fn main() {}
