use oxapi::prelude::*;

#[get("/report", allow_blocking)]
fn report() -> String {
    std::fs::read_to_string("report.txt").unwrap_or_default()
}

fn main() {}
