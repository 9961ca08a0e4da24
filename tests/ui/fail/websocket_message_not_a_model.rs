use oxapi::prelude::*;
use oxapi::ws::WebSocket;

struct Ping;

#[websocket("/ws")]
async fn echo(socket: WebSocket<Ping, Ping>) {
    drop(socket);
}

fn main() {}
