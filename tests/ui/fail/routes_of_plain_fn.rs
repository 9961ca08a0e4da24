use oxapi::prelude::*;

async fn not_a_route() -> String {
    String::new()
}

fn main() {
    let _app = App::new().routes(routes![not_a_route]);
}
