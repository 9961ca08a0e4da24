use oxapi::prelude::*;

struct Item;

fn main() {
    let _app = App::new().routes(routes![Item]);
}
