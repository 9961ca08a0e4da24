//! oxapi's WebSocket server against `tests/conformance/websocket_conformance.py`: the areas of
//! the Autobahn suite that apply to a server (framing, fragmentation, control frames, reserved
//! bits and opcodes, masking, UTF-8, the close handshake, limits), driven by Python 3's
//! `websockets` client and raw frames.

use std::process::Command;
use std::time::Duration;

use oxapi::prelude::*;
use oxapi::ws::{DEFAULT_MAX_MESSAGE_SIZE, WebSocket};
use oxapi_tests::Server;

use super::{Scratch, blocking, run, tool, workspace_root};

/// Echoes each message back unchanged: what the conformance set expects at its URL.
#[websocket("/echo")]
async fn echo(mut socket: WebSocket) {
    while let Some(Ok(message)) = socket.recv().await {
        if socket.send_message(message).await.is_err() {
            break;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the external tools; scripts/test.sh installs them and runs these"]
async fn the_websocket_conformance_set_passes() {
    let python = tool("venv/bin/python");
    // The app's default limits: the set checks the message limit it is told.
    let server = Server::start(App::new().routes(routes![echo])).await;
    let url = format!("ws://{}/echo", server.addr());
    let script = workspace_root().join("tests/conformance/websocket_conformance.py");
    let finished = blocking(move || {
        let scratch = Scratch::new("websocket-conformance");
        let mut command = Command::new(python);
        command
            .arg(script)
            .arg(url)
            .arg(DEFAULT_MAX_MESSAGE_SIZE.to_string());
        run(
            command,
            &scratch,
            "websocket-conformance",
            Duration::from_secs(300),
        )
    })
    .await;
    assert!(
        finished.status.success(),
        "the WebSocket conformance set failed:\n{}",
        finished.output()
    );
    server.stop().await;
}
