use oxapi::{FromMultipart, UploadFile};

struct Point {
    x: i32,
}

#[derive(FromMultipart)]
struct Upload {
    file: UploadFile,
    at: Point,
}

fn main() {}
