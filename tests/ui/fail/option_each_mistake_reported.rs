use oxapi::prelude::*;

// Three malformed options, three errors: `tags = [1]` does not even parse, and still the
// other two are reported.
#[get("/items", status = "abc", tags = [1], unknown = 1)]
async fn list_items() -> String {
    String::new()
}

fn main() {}
