use oxapi::prelude::*;

/// Stands in for reqwest: the macro reads paths as written.
mod reqwest {
    pub mod blocking {
        pub fn get(_url: &str) -> Result<String, String> {
            Ok(String::new())
        }
    }
}

#[get("/proxy")]
async fn proxy() -> String {
    reqwest::blocking::get("http://example.com").unwrap_or_default()
}

fn main() {}
