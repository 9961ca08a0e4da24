use oxapi::prelude::*;

#[model]
fn item() {}

fn main() {}
