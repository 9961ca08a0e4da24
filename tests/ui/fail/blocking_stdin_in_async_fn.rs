use oxapi::prelude::*;
use std::io;

#[get("/prompt")]
async fn prompt() -> String {
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    for line in io::stdin().lines() {
        answer.push_str(&line.unwrap_or_default());
    }
    answer
}

fn main() {}
