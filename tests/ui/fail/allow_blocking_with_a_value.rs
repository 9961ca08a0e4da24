use oxapi::prelude::*;

#[get("/report", allow_blocking = true)]
async fn report() -> String {
    String::new()
}

fn main() {}
