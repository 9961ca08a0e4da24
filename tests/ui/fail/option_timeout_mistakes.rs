use oxapi::prelude::*;

#[get("/a", timeout = "5")]
async fn no_unit() -> &'static str {
    "a"
}

#[get("/b", timeout = "5h")]
async fn unknown_unit() -> &'static str {
    "b"
}

#[get("/c", timeout = "0s")]
async fn zero() -> &'static str {
    "c"
}

#[get("/d", timeout = 5)]
async fn not_a_string() -> &'static str {
    "d"
}

fn main() {}
