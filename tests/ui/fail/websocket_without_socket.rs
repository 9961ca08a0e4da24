use oxapi::prelude::*;

#[websocket("/ws/{room}")]
async fn echo(room: String) {
    drop(room);
}

fn main() {}
