use oxapi::prelude::*;

#[model(rename_all = "camelCase")]
struct Item {
    item_id: u64,
}

fn main() {}
