use oxapi::prelude::*;

// A rule that does not apply to the parameter's type is an error at the rule.
#[get("/items")]
async fn search(
    #[query(range(min = 1))] q: String,
    #[query(length(max = 5))] limit: u32,
    #[query(pattern = "^[a-z]+$")] page: Option<u32>,
) -> String {
    format!("{q} {limit} {page:?}")
}

fn main() {}
