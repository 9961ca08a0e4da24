use oxapi::prelude::*;
use oxapi::ws::WebSocket;

#[get("/ws")]
async fn echo(socket: WebSocket) {
    drop(socket);
}

fn main() {}
