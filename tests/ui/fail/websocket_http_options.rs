use oxapi::prelude::*;
use oxapi::ws::WebSocket;

#[websocket("/ws", status = 201, body_limit = 1024)]
async fn echo(socket: WebSocket) {
    drop(socket);
}

fn main() {}
