use oxapi::prelude::*;

#[get("/items", openapi_extra = r#"{"x-internal": tru}"#)]
async fn list_items() -> String {
    String::new()
}

#[get("/users", openapi_extra = r#"["x-internal"]"#)]
async fn list_users() -> String {
    String::new()
}

fn main() {}
