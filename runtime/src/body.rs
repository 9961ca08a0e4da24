//! The one body type for requests and responses.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;

/// An HTTP response with oxapi's [`Body`].
pub type Response = http::Response<Body>;

/// An error from a body: the connection failed, or a stream produced an error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A request or response body: empty, a buffer in memory, a request body still arriving over
/// the connection, or any other [`http_body::Body`].
#[derive(Debug, Default)]
pub struct Body {
    inner: Inner,
}

#[derive(Debug, Default)]
enum Inner {
    #[default]
    Empty,
    /// `None` once the buffer has been yielded.
    Full(Option<Bytes>),
    Incoming(hyper::body::Incoming),
    Boxed(UnsyncBoxBody<Bytes, BoxError>),
}

impl Body {
    /// An empty body.
    pub const fn empty() -> Self {
        Self {
            inner: Inner::Empty,
        }
    }

    /// A body of the given bytes.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        if bytes.is_empty() {
            return Self::empty();
        }
        Self {
            inner: Inner::Full(Some(bytes)),
        }
    }

    /// Wraps any body whose data is [`Bytes`]. A [`Body`] is returned as it is, not boxed
    /// again: bodies pass through middleware and back many times.
    pub fn new<B>(body: B) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        use http_body_util::BodyExt;
        let mut body = Some(body);
        if let Some(already) = (&mut body as &mut dyn std::any::Any).downcast_mut::<Option<Self>>()
            && let Some(already) = already.take()
        {
            return already;
        }
        match body {
            Some(body) => Self {
                inner: Inner::Boxed(body.map_err(Into::into).boxed_unsync()),
            },
            None => Self::empty(),
        }
    }

    pub(crate) fn incoming(body: hyper::body::Incoming) -> Self {
        Self {
            inner: Inner::Incoming(body),
        }
    }

    /// Whether the whole body is in memory: nothing to wait for once the response is ready.
    pub(crate) fn is_in_memory(&self) -> bool {
        matches!(self.inner, Inner::Empty | Inner::Full(_))
    }

    /// The whole body if it is already in memory, without waiting.
    #[cfg(test)]
    pub(crate) fn as_full(&self) -> Option<Bytes> {
        match &self.inner {
            Inner::Empty => Some(Bytes::new()),
            Inner::Full(bytes) => Some(bytes.clone().unwrap_or_default()),
            _ => None,
        }
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Self::full(bytes)
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Self::full(text)
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Self::full(bytes)
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Self::full(Bytes::from_static(text.as_bytes()))
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.get_mut().inner {
            Inner::Empty => Poll::Ready(None),
            Inner::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Inner::Incoming(body) => Pin::new(body)
                .poll_frame(cx)
                .map(|frame| frame.map(|result| result.map_err(Into::into))),
            Inner::Boxed(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            Inner::Empty => true,
            Inner::Full(bytes) => bytes.is_none(),
            Inner::Incoming(body) => body.is_end_stream(),
            Inner::Boxed(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Inner::Empty => SizeHint::with_exact(0),
            Inner::Full(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            Inner::Incoming(body) => body.size_hint(),
            Inner::Boxed(body) => body.size_hint(),
        }
    }
}
