use oxapi::prelude::*;
use oxapi::ws::WebSocket;

#[websocket("/ws")]
async fn echo(socket: WebSocket) -> String {
    drop(socket);
    String::new()
}

fn main() {}
