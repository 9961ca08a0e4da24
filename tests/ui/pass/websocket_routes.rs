use oxapi::prelude::*;
use oxapi::ws::{Message, WebSocket};

#[model]
struct Question {
    text: String,
}

#[model]
struct Answer {
    text: String,
}

/// Raw messages, a path parameter and a query parameter.
#[websocket("/ws/{room}", tags = ["chat"])]
async fn raw(room: String, #[query] name: Option<String>, mut socket: WebSocket) {
    let _ = (room, name);
    while let Some(Ok(Message::Text(text))) = socket.recv().await {
        let _ = socket.send_message(text).await;
    }
}

/// Typed messages, and an error that closes with 1011.
#[websocket("/ask")]
async fn typed(mut socket: oxapi::ws::WebSocket<Question, Answer>) -> Result<(), ApiError> {
    while let Some(question) = socket.recv().await {
        let question = question.map_err(|error| ApiError::bad_request(error.to_string()))?;
        let _ = socket.send(&Answer { text: question.text }).await;
    }
    Ok(())
}

fn main() {
    let _ = App::new().routes(routes![raw, typed]);
}
