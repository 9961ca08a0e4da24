//! Server-Sent Events: `text/event-stream` of typed events, keep-alive comments, and the
//! `Last-Event-ID` a reconnecting client sends.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use http::HeaderValue;
use http::request::Parts;
use oxapi_openapi::{OperationDoc, ParamLocation};
use schemars::JsonSchema;
use serde::Serialize;
use tokio::time::{Instant, Sleep};

use super::body::StreamingBody;
use crate::body::BoxError;
use crate::context::RequestContext;
use crate::extract::{FromRequestParts, Rejection};
use crate::response::{IntoResponse, Response};

const EVENT_STREAM: &str = "text/event-stream";

/// One Server-Sent Event: its `data` (the JSON of a `T`), and optionally its `event` name,
/// `id`, `retry` and a comment.
///
/// The `event` name and `id` are single lines: carriage returns, line feeds and NUL are
/// stripped from them, so a value that came from a client cannot start a field or an event
/// of its own. A comment of several lines is sent as one comment line each; the JSON of `data`
/// is a single line (compact JSON escapes every newline).
#[derive(Debug, Clone)]
#[must_use]
pub struct Event<T> {
    data: Option<T>,
    event: Option<String>,
    id: Option<String>,
    retry: Option<Duration>,
    comment: Option<String>,
}

impl<T> Default for Event<T> {
    fn default() -> Self {
        Self {
            data: None,
            event: None,
            id: None,
            retry: None,
            comment: None,
        }
    }
}

impl<T> Event<T> {
    /// An event whose `data` is the JSON of `data`.
    pub fn data(data: T) -> Self {
        Self {
            data: Some(data),
            ..Self::default()
        }
    }

    /// An event of no data and only a comment (`: text`), which clients ignore: a heartbeat
    /// or a note for someone reading the stream.
    pub fn comment(text: impl Into<String>) -> Self {
        Self {
            comment: Some(text.into()),
            ..Self::default()
        }
    }

    /// The event's name (`event:`), which clients dispatch on (default `message`).
    pub fn event(mut self, name: impl Into<String>) -> Self {
        self.event = Some(single_line(name.into()));
        self
    }

    /// The event's id (`id:`), which a reconnecting client sends back as `Last-Event-ID`.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(single_line(id.into()));
        self
    }

    /// How long a client waits before reconnecting (`retry:`, in milliseconds).
    pub fn retry(mut self, after: Duration) -> Self {
        self.retry = Some(after);
        self
    }

    /// Adds a comment to the event.
    pub fn with_comment(mut self, text: impl Into<String>) -> Self {
        self.comment = Some(text.into());
        self
    }
}

/// `value` without CR, LF and NUL: an SSE field ends at a line break, and a client ignores an
/// `id` holding NUL.
fn single_line(mut value: String) -> String {
    value.retain(|c| !matches!(c, '\r' | '\n' | '\0'));
    value
}

impl<T: Serialize> Event<T> {
    /// The event on the wire, ending with its blank line.
    fn encode(&self) -> Result<Bytes, BoxError> {
        let mut out = Vec::with_capacity(ENCODED_CAPACITY);
        if let Some(comment) = &self.comment {
            for line in lines(comment) {
                push_field(&mut out, b": ", line.as_bytes());
            }
        }
        if let Some(event) = &self.event {
            push_field(&mut out, b"event: ", event.as_bytes());
        }
        if let Some(id) = &self.id {
            push_field(&mut out, b"id: ", id.as_bytes());
        }
        if let Some(retry) = self.retry {
            push_field(
                &mut out,
                b"retry: ",
                retry.as_millis().to_string().as_bytes(),
            );
        }
        if let Some(data) = &self.data {
            let start = out.len();
            out.extend_from_slice(b"data: ");
            serde_json::to_writer(&mut out, data)?;
            // Compact JSON is one line (serde_json escapes every control character in a
            // string), unless a `RawValue` brought line breaks of its own: then one `data`
            // line each, which a client joins back with LF.
            if out[start..].iter().any(|b| matches!(b, b'\r' | b'\n')) {
                let json = out.split_off(start + b"data: ".len());
                out.truncate(start);
                for line in lines(&String::from_utf8_lossy(&json)) {
                    push_field(&mut out, b"data: ", line.as_bytes());
                }
            } else {
                out.push(b'\n');
            }
        }
        out.push(b'\n');
        Ok(out.into())
    }
}

/// Room for a small event's fields without growing: `data: ` and a short JSON object.
const ENCODED_CAPACITY: usize = 128;

/// One field line: `name` (with its colon and space), `value`, LF.
fn push_field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(value);
    out.push(b'\n');
}

/// `text` split at each CR LF, CR or LF: the line ends SSE knows.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split("\r\n").flat_map(|line| line.split(['\r', '\n']))
}

/// A `text/event-stream` response of typed [`Event`]s (FastAPI's `EventSourceResponse`).
///
/// Documented as `text/event-stream` with `T`'s schema as the media type's `schema`, marked
/// `x-oxapi-stream: sse`: the schema is that of each event's `data` (OpenAPI 3.2's
/// `itemSchema`). The stream ends when the events end, when the client leaves (the event
/// stream is dropped), and when the app begins shutting down (after the event given to
/// [`Sse::on_shutdown`], if any), so clients reconnect elsewhere.
///
/// ```
/// use std::time::Duration;
/// use oxapi::prelude::*;
/// use oxapi::{Event, LastEventId, Sse};
/// use oxapi::futures::StreamExt;
///
/// #[model]
/// struct Tick {
///     n: u64,
/// }
///
/// #[get("/ticks")]
/// async fn ticks(last: LastEventId) -> Sse<Tick> {
///     let from = last.0.and_then(|id| id.parse().ok()).unwrap_or(0);
///     let events = oxapi::futures::stream::iter(from + 1..=from + 2)
///         .map(|n| Event::data(Tick { n }).id(n.to_string()));
///     Sse::new(events).keep_alive(Duration::from_secs(15))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().routes(routes![ticks]).test_client();
/// let reply = client.get("/ticks").header("last-event-id", "7").send().await;
/// assert_eq!(reply.text(), "id: 8\ndata: {\"n\":8}\n\nid: 9\ndata: {\"n\":9}\n\n");
/// # }
/// ```
#[must_use]
pub struct Sse<T> {
    events: Pin<Box<dyn Stream<Item = Event<T>> + Send>>,
    keep_alive: Option<Duration>,
    farewell: Option<Event<T>>,
}

impl<T> std::fmt::Debug for Sse<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sse")
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

impl<T: Serialize + Send + 'static> Sse<T> {
    /// The events of `events`, as they come.
    pub fn new<S>(events: S) -> Self
    where
        S: Stream<Item = Event<T>> + Send + 'static,
    {
        Self {
            events: Box::pin(events),
            keep_alive: None,
            farewell: None,
        }
    }

    /// The last event, sent when the app's shutdown ends the stream: say goodbye, or tell
    /// clients when to reconnect with [`Event::retry`].
    pub fn on_shutdown(mut self, event: Event<T>) -> Self {
        self.farewell = Some(event);
        self
    }

    /// Sends a comment (`:`) whenever no event was sent for `interval`, so proxies do not
    /// close an idle stream and a gone client is noticed.
    pub fn keep_alive(mut self, interval: Duration) -> Self {
        self.keep_alive = Some(interval);
        self
    }
}

/// The events as chunks, with keep-alive comments between them.
struct Encoded<T> {
    events: Pin<Box<dyn Stream<Item = Event<T>> + Send>>,
    keep_alive: Option<KeepAlive>,
}

/// When to send the next keep-alive comment. The timer is made on the first poll, inside the
/// runtime, not when the response is built.
struct KeepAlive {
    interval: Duration,
    timer: Option<Pin<Box<Sleep>>>,
}

impl KeepAlive {
    /// Restarts the interval: something was just sent.
    fn reset(&mut self) {
        let deadline = Instant::now() + self.interval;
        match &mut self.timer {
            Some(timer) => timer.as_mut().reset(deadline),
            None => self.timer = Some(Box::pin(tokio::time::sleep_until(deadline))),
        }
    }

    /// Whether the interval has passed; restarts it if so.
    fn due(&mut self, cx: &mut Context<'_>) -> bool {
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(self.interval)));
        if timer.as_mut().poll(cx).is_ready() {
            self.reset();
            true
        } else {
            false
        }
    }
}

impl<T: Serialize> Stream for Encoded<T> {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Poll::Ready(event) = this.events.as_mut().poll_next(cx) {
            if let Some(keep_alive) = &mut this.keep_alive {
                keep_alive.reset();
            }
            return Poll::Ready(event.map(|event| event.encode()));
        }
        if this
            .keep_alive
            .as_mut()
            .is_some_and(|keep_alive| keep_alive.due(cx))
        {
            return Poll::Ready(Some(Ok(Bytes::from_static(b":\n\n"))));
        }
        Poll::Pending
    }
}

impl<T: Serialize + JsonSchema + Send + 'static> IntoResponse for Sse<T> {
    fn describe(op: &mut OperationDoc<'_>) {
        let schema = op.generator().subschema_for::<T>().to_value();
        op.success_stream(EVENT_STREAM, schema, "sse");
    }

    fn into_response(self) -> Response {
        let encoded = Encoded {
            events: self.events,
            keep_alive: self.keep_alive.map(|interval| KeepAlive {
                interval,
                timer: None,
            }),
        };
        let mut body = StreamingBody::new(encoded);
        match self.farewell.as_ref().map(Event::encode) {
            Some(Ok(farewell)) => body = body.with_farewell(farewell),
            Some(Err(error)) => {
                tracing::warn!(%error, "the shutdown event does not serialize; none is sent");
            }
            None => {}
        }
        let mut response = body.into_response(HeaderValue::from_static(EVENT_STREAM));
        response.headers_mut().insert(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        );
        response
    }
}

/// The `Last-Event-ID` header a reconnecting Server-Sent Events client sends: the `id` of the
/// last event it received, if any. A value that is not visible ASCII is a 422, as for any
/// header parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastEventId(pub Option<String>);

impl FromRequestParts for LastEventId {
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _ctx: &RequestContext<'_>,
    ) -> Result<Self, Rejection> {
        crate::extract::header_param::<Option<String>>(parts, "last-event-id").map(Self)
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.param::<String>(ParamLocation::Header, "last-event-id", false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire<T: Serialize>(event: &Event<T>) -> String {
        String::from_utf8(event.encode().unwrap().to_vec()).unwrap()
    }

    #[test]
    fn each_line_end_starts_a_comment_line_of_its_own() {
        let event = Event::<u32>::comment("a\r\nb\rc\nd");
        assert_eq!(wire(&event), ": a\n: b\n: c\n: d\n\n");
    }

    #[test]
    fn event_and_id_cannot_start_a_field_or_an_event() {
        let event = Event::data(7_u32)
            .event("x\r\n\r\nevent: evil")
            .id("1\n\0data: 2");
        assert_eq!(
            wire(&event),
            "event: xevent: evil\nid: 1data: 2\ndata: 7\n\n"
        );
    }

    #[test]
    fn data_is_one_line_of_compact_json_whatever_its_strings_hold() {
        let event = Event::data(serde_json::json!({"text": "a\r\nb\nc", "n": [1, 2]})).id("7");
        assert_eq!(
            wire(&event),
            "id: 7\ndata: {\"text\":\"a\\r\\nb\\nc\",\"n\":[1,2]}\n\n"
        );
    }

    #[test]
    fn retry_is_in_milliseconds() {
        let event = Event::<u32>::default().retry(Duration::from_secs(3));
        assert_eq!(wire(&event), "retry: 3000\n\n");
    }
}
