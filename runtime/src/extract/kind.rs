//! Whether a handler parameter reads the request body, decided by the trait its type
//! implements rather than by how the type is spelled.
//!
//! The route macro sees a parameter's type only as written: it cannot tell oxapi's `Json<T>`
//! from a user's own `Json` that reads a header, nor see that a user's type implements
//! [`FromRequest`]. So it names every extractor as `<T as Extractor<_>>` and lets rustc pick
//! the one impl that applies: through [`FromRequestParts`] ([`ViaParts`]) or through
//! [`FromRequest`] ([`ViaBody`]). No type implements both traits, so the choice is never
//! ambiguous.
//!
//! [`Extractor::READS_BODY`] is a constant: the generated handler's "head extractors first,
//! then the body extractor" order costs no branch at run time, and a `const` item in the
//! expansion rejects a second body reader at compile time.

use std::future::Future;
use std::mem;

use http::request::Parts;

use crate::{
    Body, FromRequest, FromRequestParts, IntoResponse, OperationDoc, Request, RequestContext,
};

/// Selects the [`Extractor`] impl for [`FromRequestParts`] types. Never constructed.
#[derive(Debug)]
pub enum ViaParts {}

/// Selects the [`Extractor`] impl for [`FromRequest`] types. Never constructed.
#[derive(Debug)]
pub enum ViaBody {}

/// A request while a handler's parameters are extracted from it.
///
/// Extractors of the head borrow [`Parts`]; the one extractor of the body then takes the
/// request whole. The generated handler runs them in that order, which the macro cannot
/// express by moving a value: it does not know which parameter reads the body.
#[derive(Debug)]
pub struct Incoming {
    /// `None` once the body extractor took the request. Taking leaves nothing to build or to
    /// drop, where leaving an empty head behind cost both on every request with a body.
    parts: Option<Parts>,
    body: Body,
}

impl Incoming {
    /// Splits `request` for extraction.
    pub fn new(request: Request) -> Self {
        let (parts, body) = request.into_parts();
        Self {
            parts: Some(parts),
            body,
        }
    }

    /// The request head, for path, query, header and cookie parameters.
    pub fn parts(&mut self) -> &mut Parts {
        // The body extractor runs last, so the head is always here when this is called; an
        // empty head stands in otherwise, rather than a panic.
        self.parts.get_or_insert_with(empty_parts)
    }

    /// Takes the request for the body extractor.
    pub(crate) fn take_request(&mut self) -> Request {
        let parts = self.parts.take().unwrap_or_else(empty_parts);
        Request::from_parts(parts, mem::take(&mut self.body))
    }
}

impl Incoming {
    /// The head, where it is, and the body, taken: for oxapi's own body extractors.
    pub(crate) fn head_and_body(&mut self) -> (&Parts, Body) {
        let body = mem::take(&mut self.body);
        (self.parts.get_or_insert_with(empty_parts), body)
    }
}

/// A request head with nothing in it.
fn empty_parts() -> Parts {
    http::Request::new(()).into_parts().0
}

/// A type a handler parameter can be extracted as: a [`FromRequestParts`] or a
/// [`FromRequest`] type, through the blanket impls for `Via` = [`ViaParts`] or [`ViaBody`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a handler parameter: it implements neither `FromRequestParts` nor `FromRequest`",
    label = "not an extractor",
    note = "if it is `Json<T>`, `Form<T>` or `Query<T>`: those extract `T` only if it is a request model; add `#[model]` to `T`",
    note = "to read one value, mark the parameter `#[query]`, `#[header]` or `#[cookie]`, like `#[query] limit: u32`",
    note = "otherwise use an extractor (`Query<T>`, `Json<T>`, `State<T>`, `HeaderMap`, `String`, ...), or implement `oxapi::FromRequestParts` for `{Self}` to read the request head, or `oxapi::FromRequest` to read the body"
)]
pub trait Extractor<Via>: Sized + Send {
    /// Whether extracting consumes the request body. At most one parameter may.
    const READS_BODY: bool;

    /// The response sent when extraction fails.
    type Rejection: IntoResponse;

    /// Extracts the value: from the head, or by taking the whole request.
    fn extract(
        incoming: &mut Incoming,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send;

    /// Describes what the extractor reads, for the route's documentation.
    fn describe(op: &mut OperationDoc<'_>);
}

impl<T: FromRequestParts> Extractor<ViaParts> for T {
    const READS_BODY: bool = false;

    type Rejection = T::Rejection;

    fn extract(
        incoming: &mut Incoming,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send {
        T::from_request_parts(incoming.parts(), ctx)
    }

    fn describe(op: &mut OperationDoc<'_>) {
        T::describe(op);
    }
}

impl<T: FromRequest> Extractor<ViaBody> for T {
    const READS_BODY: bool = true;

    type Rejection = T::Rejection;

    fn extract(
        incoming: &mut Incoming,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send {
        T::from_incoming(incoming, ctx)
    }

    fn describe(op: &mut OperationDoc<'_>) {
        T::describe(op);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_extractor_gets_the_head_and_the_body() {
        let request = http::Request::builder()
            .uri("/items?x=1")
            .header("content-type", "text/plain")
            .body(Body::full("hello"))
            .unwrap();
        let mut incoming = Incoming::new(request);
        assert_eq!(incoming.parts().uri, "/items?x=1");
        let taken = incoming.take_request();
        assert_eq!(taken.uri(), "/items?x=1");
        assert_eq!(taken.headers()["content-type"], "text/plain");
        assert_eq!(taken.body().as_full().as_deref(), Some(&b"hello"[..]));
        assert!(
            incoming.parts().headers.is_empty(),
            "an empty head stands in"
        );
    }

    // Checked when the test binary compiles, as the generated handlers' are.
    const _: () = {
        assert!(!<http::HeaderMap as Extractor<_>>::READS_BODY);
        assert!(<String as Extractor<_>>::READS_BODY);
        assert!(<bytes::Bytes as Extractor<_>>::READS_BODY);
    };
}
