use oxapi::prelude::*;

// A request body type without `#[model]`: it has no `Deserialize`, `JsonSchema` or
// `Validate`, and one error says to add `#[model]`.
struct NewItem {
    name: String,
}

#[post("/items")]
async fn create_item(item: Json<NewItem>) -> String {
    item.0.name
}

fn main() {}
