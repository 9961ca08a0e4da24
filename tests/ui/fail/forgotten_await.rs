use oxapi::prelude::*;

#[get("/slow")]
async fn slow() -> String {
    oxapi::tokio::time::sleep(std::time::Duration::from_millis(1));
    "done".to_owned()
}

fn main() {}
