//! Routes named by module path, and handlers that stay ordinary, callable functions.

use oxapi::prelude::*;

mod api {
    use oxapi::prelude::*;

    #[get("/items/{id}")]
    pub async fn read_item(id: u64) -> String {
        format!("item {id}")
    }

    pub mod admin {
        use oxapi::prelude::*;

        #[get("/admin/stats")]
        pub fn stats() -> String {
            "ok".to_owned()
        }
    }
}

fn main() {
    let _app = App::new().routes(routes![api::read_item, api::admin::stats,]);

    // The attribute leaves the functions callable: an `async fn` still returns its future.
    let _ = api::read_item(1);
    assert_eq!(api::admin::stats(), "ok");
}
