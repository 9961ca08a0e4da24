use oxapi::prelude::*;
use oxapi::ws::WebSocket;

#[websocket("/ws")]
fn echo(socket: WebSocket) {
    drop(socket);
}

fn main() {}
