use oxapi::prelude::*;
use oxapi::BodyStream;

#[post("/upload")]
async fn upload(note: Json<String>, body: BodyStream) -> String {
    drop(body);
    note.0
}

fn main() {}
