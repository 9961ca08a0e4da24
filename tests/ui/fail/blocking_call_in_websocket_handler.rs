use oxapi::prelude::*;
use oxapi::ws::WebSocket;

#[websocket("/ws")]
async fn tick(mut socket: WebSocket) {
    loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
        if socket.send_message("tick").await.is_err() {
            break;
        }
    }
}

fn main() {}
