use oxapi::prelude::*;

#[model]
struct NewItem {
    name: String,
}

#[post("/items")]
async fn create_item(item: Json<NewItem>, note: String) -> String {
    format!("{} {note}", item.name)
}

fn main() {}
