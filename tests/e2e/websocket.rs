//! WebSockets over a real socket, with tokio-tungstenite as the client: messages both ways,
//! typed JSON, path parameters, rejection before the upgrade, every close code the server
//! sends on its own, limits, shutdown, and a client that never reads.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use http::request::Parts;
use oxapi::prelude::*;
use oxapi::ws::{Message, WebSocket, WebSocketConfig};
use oxapi::{FromRequestParts, RequestContext};
use oxapi_tests::{Client, Server, Version};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data};
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest as _};

/// A hang guard: every wait in these tests is on an event, bounded by this.
const GUARD: Duration = Duration::from_secs(20);

/// The client's end of a WebSocket.
type Socket = WebSocketStream<TcpStream>;

/// Opens a WebSocket to `path` on `server`.
async fn connect(server: &Server, path: &str) -> Socket {
    connect_with(server, path, &[]).await.unwrap()
}

/// Opens a WebSocket with extra request headers; the HTTP response if the server refused.
async fn connect_with(
    server: &Server,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<Socket, tungstenite::http::Response<Option<Vec<u8>>>> {
    let mut request = format!("ws://{}{path}", server.addr())
        .into_client_request()
        .unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(
            tungstenite::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    let stream = TcpStream::connect(server.addr()).await.unwrap();
    let connecting = tokio_tungstenite::client_async(request, stream);
    match tokio::time::timeout(GUARD, connecting).await.unwrap() {
        Ok((socket, response)) => {
            assert_eq!(response.status(), 101);
            Ok(socket)
        }
        Err(tungstenite::Error::Http(response)) => Err(*response),
        Err(error) => panic!("connecting failed: {error}"),
    }
}

/// The next message from the server, within the guard.
async fn next(socket: &mut Socket) -> tungstenite::Message {
    tokio::time::timeout(GUARD, socket.next())
        .await
        .expect("a message within the guard")
        .expect("the connection is open")
        .expect("a valid message")
}

/// Reads until the server's close frame and returns it, after answering it and seeing the
/// server end the connection; then drops the connection.
async fn close_frame(mut socket: Socket) -> CloseFrame {
    let frame = loop {
        match next(&mut socket).await {
            tungstenite::Message::Close(Some(frame)) => break frame,
            tungstenite::Message::Close(None) => panic!("a close frame without a code"),
            _ => {}
        }
    };
    // Reading on sends the answer and meets the end of the connection.
    let end = tokio::time::timeout(GUARD, socket.next()).await.unwrap();
    assert!(end.is_none(), "{end:?}");
    frame
}

/// Sends `text` and expects `reply` back.
async fn round_trip(socket: &mut Socket, text: &str, reply: &str) {
    socket.send(tungstenite::Message::text(text)).await.unwrap();
    assert_eq!(next(socket).await, tungstenite::Message::text(reply));
}

/// Closes from the client's side with `code`; returns the server's answering close frame.
async fn client_close(mut socket: Socket, code: CloseCode) -> CloseFrame {
    let frame = CloseFrame {
        code,
        reason: "bye".into(),
    };
    socket.close(Some(frame)).await.unwrap();
    close_frame(socket).await
}

/// Echoes every message back as it came, prefixed by the room for text.
#[websocket("/echo/{room}")]
async fn echo(room: String, mut socket: WebSocket) {
    while let Some(Ok(message)) = socket.recv().await {
        let reply = match message {
            Message::Text(text) => Message::Text(format!("{room}: {text}")),
            binary @ Message::Binary(_) => binary,
        };
        if socket.send_message(reply).await.is_err() {
            break;
        }
    }
}

/// What a chat client sends.
#[model]
struct ClientMsg {
    text: String,
}

/// What the chat server sends back.
#[model]
struct ServerMsg {
    room: String,
    text: String,
    length: usize,
}

/// Answers each message with its room and length.
#[websocket("/chat/{room}")]
async fn chat(room: String, mut socket: WebSocket<ClientMsg, ServerMsg>) {
    while let Some(message) = socket.recv().await {
        let Ok(message) = message else { break };
        let reply = ServerMsg {
            room: room.clone(),
            length: message.text.len(),
            text: message.text,
        };
        if socket.send(&reply).await.is_err() {
            break;
        }
    }
}

/// A caller with a token; 401 without one.
struct Caller;

impl FromRequestParts for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _ctx: &RequestContext<'_>,
    ) -> Result<Self, ApiError> {
        match parts.headers.get("authorization") {
            Some(token) if token == "Bearer good" => Ok(Self),
            Some(_) => Err(ApiError::forbidden("that token may not chat")),
            None => Err(ApiError::unauthorized("a token is needed")),
        }
    }
}

/// Counts how many handlers ran, to prove a rejected request never reaches one.
#[derive(Clone, Default)]
struct Opened(Arc<AtomicUsize>);

#[websocket("/private")]
async fn private(_caller: Caller, opened: State<Opened>, mut socket: WebSocket) {
    opened.0.0.fetch_add(1, Ordering::SeqCst);
    let _ = socket.send_message("welcome").await;
}

fn app() -> App {
    app_counting(&Opened::default())
}

fn app_counting(opened: &Opened) -> App {
    App::new()
        .state(opened.clone())
        .routes(routes![echo, chat, private])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_and_binary_are_echoed_and_the_handler_closes_with_1000() {
    let server = Server::start(app()).await;
    let mut socket = connect(&server, "/echo/lobby").await;
    round_trip(&mut socket, "hi", "lobby: hi").await;
    let bytes = vec![0u8, 1, 2, 255];
    socket
        .send(tungstenite::Message::binary(bytes.clone()))
        .await
        .unwrap();
    assert_eq!(next(&mut socket).await, tungstenite::Message::binary(bytes));
    // An empty message is a message.
    round_trip(&mut socket, "", "lobby: ").await;
    // Pings are answered by the server, with their payload.
    socket
        .send(tungstenite::Message::Ping(b"are you there"[..].into()))
        .await
        .unwrap();
    assert_eq!(
        next(&mut socket).await,
        tungstenite::Message::Pong(b"are you there"[..].into())
    );
    // The client closes; the server answers with the same code.
    let answer = client_close(socket, CloseCode::Normal).await;
    assert_eq!(answer.code, CloseCode::Normal);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_messages_round_trip_as_json() {
    let server = Server::start(app()).await;
    let mut socket = connect(&server, "/chat/rust").await;
    socket
        .send(tungstenite::Message::text(r#"{"text":"héllo"}"#))
        .await
        .unwrap();
    let reply = next(&mut socket).await;
    let reply: serde_json::Value = serde_json::from_str(reply.to_text().unwrap()).unwrap();
    assert_eq!(
        reply,
        serde_json::json!({"room": "rust", "text": "héllo", "length": 6})
    );
    // JSON in a binary message is read too.
    socket
        .send(tungstenite::Message::binary(&br#"{"text":"b"}"#[..]))
        .await
        .unwrap();
    let reply = next(&mut socket).await;
    assert!(
        reply.to_text().unwrap().contains(r#""length":1"#),
        "{reply}"
    );
    let answer = client_close(socket, CloseCode::Away).await;
    assert_eq!(answer.code, CloseCode::Away);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_is_not_the_handlers_json_closes_with_1007() {
    let server = Server::start(app()).await;
    let mut socket = connect(&server, "/chat/rust").await;
    socket
        .send(tungstenite::Message::text(r#"{"txt":"typo"}"#))
        .await
        .unwrap();
    let frame = close_frame(socket).await;
    assert_eq!(frame.code, CloseCode::Invalid);
    assert!(
        frame.reason.contains("missing field `text`"),
        "{}",
        frame.reason
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extractor_rejects_before_the_upgrade_with_its_http_error() {
    let opened = Opened::default();
    let server = Server::start(app_counting(&opened)).await;
    let response = connect_with(&server, "/private", &[]).await.unwrap_err();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let response = connect_with(&server, "/private", &[("authorization", "Bearer bad")])
        .await
        .unwrap_err();
    assert_eq!(response.status(), 403);
    assert_eq!(opened.0.load(Ordering::SeqCst), 0, "no handler ran");
    let mut socket = connect_with(&server, "/private", &[("authorization", "Bearer good")])
        .await
        .unwrap();
    assert_eq!(
        next(&mut socket).await,
        tungstenite::Message::text("welcome")
    );
    assert_eq!(close_frame(socket).await.code, CloseCode::Normal);
    server.stop().await;
}

/// Sends `GET /echo/lobby` with `headers` over `version` and returns the 426 problem's
/// detail, after checking that the answer says what to send.
async fn refused_handshake(server: &Server, version: Version, headers: &[(&str, &str)]) -> String {
    let reply = Client::new(server, version)
        .send(
            http::Method::GET,
            "/echo/lobby",
            headers,
            bytes::Bytes::new(),
        )
        .await;
    let problem = reply.problem(426);
    if version == Version::Http1 {
        // HTTP/2 has no `Upgrade` header (RFC 9113, section 8.2.2).
        assert_eq!(reply.header("upgrade"), Some("websocket"));
    }
    assert_eq!(reply.header("sec-websocket-version"), Some("13"));
    problem["detail"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_is_no_handshake_gets_a_426_problem() {
    let server = Server::start(app()).await;
    let detail = refused_handshake(&server, Version::Http1, &[]).await;
    assert!(detail.contains("Upgrade: websocket"), "{detail}");
    // A wrong version is named.
    let headers = [
        ("connection", "upgrade"),
        ("upgrade", "websocket"),
        ("sec-websocket-version", "8"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    let detail = refused_handshake(&server, Version::Http1, &headers).await;
    assert!(detail.contains("Version"), "{detail}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_h2c_a_websocket_request_gets_a_clear_error() {
    let server = Server::start(app()).await;
    let headers = [
        ("sec-websocket-version", "13"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    let detail = refused_handshake(&server, Version::Http2, &headers).await;
    assert!(detail.contains("RFC 8441"), "{detail}");
    server.stop().await;
}

/// Panics after the first message.
#[websocket("/panics")]
async fn panics(mut socket: WebSocket) {
    let _ = socket.recv().await;
    panic!("the handler failed");
}

/// Fails after the first message.
#[websocket("/fails")]
async fn fails(mut socket: WebSocket) -> Result<(), std::io::Error> {
    let _ = socket.recv().await;
    Err(std::io::Error::other("the database is down"))
}

/// What the flooding handler did.
#[derive(Clone, Default)]
struct Flood {
    sent: Arc<AtomicUsize>,
    gave_up: Arc<Notify>,
}

/// Sends 64 KiB messages until a send fails.
#[websocket("/flood")]
async fn flood(flood: State<Flood>, mut socket: WebSocket) {
    let chunk = bytes::Bytes::from(vec![7u8; 64 * 1024]);
    while socket.send_message(chunk.clone()).await.is_ok() {
        flood.sent.fetch_add(1, Ordering::SeqCst);
    }
    flood.gave_up.notify_one();
}

/// An app with small limits: 1 KiB messages and frames, a short send timeout, no idle timeout.
fn limited(flood: &Flood) -> App {
    let config = WebSocketConfig::default()
        .max_message_size(1024)
        .max_frame_size(1024)
        .idle_timeout(None)
        .send_timeout(Duration::from_millis(500));
    App::new()
        .websocket_config(config)
        .state(flood.clone())
        .routes(routes![echo, panics, fails, flood])
}

/// A data frame as a client sends it (masked by tungstenite): a text frame, or a
/// continuation, final or not.
fn frame(opcode: Data, payload: Vec<u8>, is_final: bool) -> tungstenite::Message {
    use tungstenite::protocol::frame::Frame;
    use tungstenite::protocol::frame::coding::OpCode;
    tungstenite::Message::Frame(Frame::message(payload, OpCode::Data(opcode), is_final))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_or_message_over_the_limit_closes_with_1009() {
    let server = Server::start(limited(&Flood::default())).await;
    // One frame too big.
    let mut socket = connect(&server, "/echo/big").await;
    socket
        .send(tungstenite::Message::text("x".repeat(2000)))
        .await
        .unwrap();
    assert_eq!(close_frame(socket).await.code, CloseCode::Size);
    // Frames within the limit, joined into a message over it.
    let mut socket = connect(&server, "/echo/big").await;
    socket
        .send(frame(Data::Text, vec![b'x'; 800], false))
        .await
        .unwrap();
    socket
        .send(frame(Data::Continue, vec![b'x'; 800], true))
        .await
        .unwrap();
    assert_eq!(close_frame(socket).await.code, CloseCode::Size);
    // The server is unharmed.
    let mut socket = connect(&server, "/echo/after").await;
    round_trip(&mut socket, "ok", "after: ok").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_that_is_not_utf8_closes_with_1007() {
    let server = Server::start(app()).await;
    let mut socket = connect(&server, "/echo/utf8").await;
    socket
        .send(frame(Data::Text, vec![b'a', 0xff, 0xfe], true))
        .await
        .unwrap();
    assert_eq!(close_frame(socket).await.code, CloseCode::Invalid);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_is_closed_with_1001() {
    let config = WebSocketConfig::default().idle_timeout(Some(Duration::from_millis(200)));
    let app = App::new().websocket_config(config).routes(routes![echo]);
    let server = Server::start(app).await;
    let socket = connect(&server, "/echo/quiet").await;
    // The test waits for the close; it does not time it.
    let frame = close_frame(socket).await;
    assert_eq!(frame.code, CloseCode::Away);
    assert_eq!(frame.reason, "idle timeout");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_with_1001_and_the_server_exits_within_its_grace() {
    let app = app().shutdown_grace(Duration::from_secs(2));
    let server = Server::start(app).await;
    let mut answering = connect(&server, "/echo/a").await;
    // This client never reads: the server's close handshake with it cannot complete, and the
    // grace period bounds the wait.
    let _silent = connect(&server, "/echo/b").await;
    // Both are open (a round trip proves the first one's handler runs).
    round_trip(&mut answering, "before", "a: before").await;
    let stopping = tokio::spawn(server.stop());
    let frame = close_frame(answering).await;
    assert_eq!(frame.code, CloseCode::Away);
    assert_eq!(frame.reason, "server shutting down");
    // `stop` panics if the server has not exited 10 s after the signal.
    stopping.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_or_failing_handler_closes_with_1011_and_the_server_serves_on() {
    let server = Server::start(limited(&Flood::default())).await;
    for path in ["/panics", "/fails"] {
        let mut socket = connect(&server, path).await;
        socket.send(tungstenite::Message::text("go")).await.unwrap();
        let frame = close_frame(socket).await;
        assert_eq!(frame.code, CloseCode::Error, "{path}");
        assert_eq!(frame.reason, "internal error", "{path}");
    }
    let mut socket = connect(&server, "/echo/after").await;
    round_trip(&mut socket, "ok", "after: ok").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_dropped_after_the_send_timeout() {
    let flood = Flood::default();
    let server = Server::start(limited(&flood)).await;
    let gave_up = flood.gave_up.notified();
    // Connected, and never read from: the socket's buffers fill, then a send times out.
    let stuck = connect(&server, "/flood").await;
    // Meanwhile another client is served.
    let mut socket = connect(&server, "/echo/other").await;
    round_trip(&mut socket, "hi", "other: hi").await;
    tokio::time::timeout(GUARD, gave_up)
        .await
        .expect("the flooding handler's send failed");
    // What was sent is what the kernel's socket buffers took, not an unbounded queue: well
    // under 64 MiB (1,024 messages) even with loopback buffers grown to their largest.
    let sent = flood.sent.load(Ordering::SeqCst);
    assert!(sent < 1024, "{sent} messages of 64 KiB were taken");
    drop(stuck);
    // Still serving the other client.
    round_trip(&mut socket, "again", "other: again").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_has_the_101_response_the_426_and_the_message_schemas() {
    let server = Server::start(app()).await;
    let document = Client::new(&server, Version::Http1)
        .get("/openapi.json")
        .await
        .json();
    let chat = &document["paths"]["/chat/{room}"]["get"];
    assert!(
        chat["responses"]["101"]["description"].is_string(),
        "{chat}"
    );
    assert!(chat["responses"]["426"].is_object(), "{chat}");
    assert_eq!(
        chat["x-websocket"],
        serde_json::json!({
            "client": {"$ref": "#/components/schemas/ClientMsg"},
            "server": {"$ref": "#/components/schemas/ServerMsg"},
        })
    );
    // Listed because a WebSocket operation refers to it; a document without one has no 426
    // (the examples' checked-in documents pin that).
    let upgrade = &document["components"]["responses"]["UpgradeRequired"];
    assert!(
        upgrade["headers"]["Sec-WebSocket-Version"].is_object(),
        "{upgrade}"
    );
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["ClientMsg"]["required"],
        serde_json::json!(["text"])
    );
    assert!(schemas["ServerMsg"]["properties"]["length"].is_object());
    // A raw socket says nothing of its messages.
    let echo = &document["paths"]["/echo/{room}"]["get"];
    assert_eq!(echo["x-websocket"], serde_json::json!({}));
    assert_eq!(echo["parameters"][0]["name"], "room");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_test_client_opens_websockets_in_process() {
    let client = app().test_client();
    let mut socket = client.websocket("/chat/local").await;
    socket.send_json(&serde_json::json!({"text": "hey"})).await;
    let reply: serde_json::Value = socket.recv_json().await;
    assert_eq!(reply["room"], "local");
    assert_eq!(reply["length"], 3);
    assert_eq!(socket.close().await.code, 1000);
    // A refusal is the app's response.
    let refused = client.get("/private").websocket().await.unwrap_err();
    assert_eq!(refused.status(), 401);
    let mut socket = client
        .get("/private")
        .header("authorization", "Bearer good")
        .websocket()
        .await
        .unwrap();
    assert_eq!(socket.recv().await.unwrap(), Message::from("welcome"));
    assert!(socket.recv().await.is_none());
    assert_eq!(socket.close_frame().unwrap().code, 1000);
    // Shutting the client down closes an open socket with 1001, and waits for it.
    let mut socket = client.websocket("/echo/last").await;
    let shutdown = tokio::spawn({
        let client = client.clone();
        async move { client.shutdown().await }
    });
    assert!(socket.recv().await.is_none());
    let frame = socket.close_frame().unwrap();
    assert_eq!(
        (frame.code, frame.reason.as_str()),
        (1001, "server shutting down")
    );
    tokio::time::timeout(GUARD, shutdown)
        .await
        .unwrap()
        .unwrap();
}

/// A room's messages, to every member.
#[derive(Clone)]
struct Room {
    members: tokio::sync::broadcast::Sender<String>,
}

/// Every message a member sends goes to every member: `recv` raced against the room's
/// channel, which needs `recv` to be cancel-safe.
#[websocket("/room")]
async fn room(room: State<Room>, mut socket: WebSocket) {
    let mut heard = room.members.subscribe();
    loop {
        tokio::select! {
            message = socket.recv() => match message {
                Some(Ok(Message::Text(text))) => {
                    let _ = room.members.send(text);
                }
                Some(_) => {}
                None => break,
            },
            Ok(text) = heard.recv() => {
                if socket.send_message(text).await.is_err() {
                    break;
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_can_race_recv_against_a_channel() {
    let (sender, _) = tokio::sync::broadcast::channel(16);
    let app = App::new()
        .state(Room {
            members: sender.clone(),
        })
        .routes(routes![room]);
    let server = Server::start(app).await;
    let mut alice = connect(&server, "/room").await;
    let mut bob = connect(&server, "/room").await;
    // Both handlers have subscribed once both are members.
    let subscribed = async {
        while sender.receiver_count() < 2 {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(GUARD, subscribed).await.unwrap();
    for (from, text) in [(0, "hi from alice"), (1, "hi from bob")] {
        let members = [&mut alice, &mut bob];
        members[from]
            .send(tungstenite::Message::text(text))
            .await
            .unwrap();
        for member in members {
            assert_eq!(next(member).await, tungstenite::Message::text(text));
        }
    }
    for member in [alice, bob] {
        assert_eq!(
            client_close(member, CloseCode::Away).await.code,
            CloseCode::Away
        );
    }
    server.stop().await;
}
