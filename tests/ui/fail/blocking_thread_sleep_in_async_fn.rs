use oxapi::prelude::*;
use std::thread;
use std::time::Duration;

#[get("/slow")]
async fn slow() -> &'static str {
    std::thread::sleep(Duration::from_millis(10));
    thread::sleep(Duration::from_millis(10));
    "done"
}

// The route is still generated: no error where it is used.
fn main() {
    let _ = App::new().routes(routes![slow]);
}
