use oxapi::prelude::*;

// Each mistake in a parameter attribute is its own error, at the option.
#[get("/items/{id}")]
async fn search(
    #[path(alias = "item", default = 1)] id: u32,
    #[query(rnage(min = 1))] limit: u32,
    #[query(range(min = 10, max = 1))] offset: u32,
    #[query(pattern = "(")] q: Option<String>,
    #[query(default = 5)] page: Option<u32>,
    #[query("a", alias = "b")] sort: String,
    #[path] missing: u32,
) -> String {
    format!("{id} {limit} {offset} {q:?} {page:?} {sort} {missing}")
}

fn main() {}
