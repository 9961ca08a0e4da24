use oxapi::prelude::*;

#[get("/files/{*rest}/meta")]
async fn file_meta(rest: String) -> String {
    rest
}

fn main() {}
