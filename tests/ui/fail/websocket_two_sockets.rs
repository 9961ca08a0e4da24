use oxapi::prelude::*;
use oxapi::ws::WebSocket;

#[websocket("/ws")]
async fn echo(first: WebSocket, second: WebSocket) {
    drop((first, second));
}

fn main() {}
