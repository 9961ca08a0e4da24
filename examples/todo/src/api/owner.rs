//! Who a request acts for.

use oxapi::http::request::Parts;
use oxapi::{ApiError, FromRequestParts, RequestContext};

use crate::repo::Owner;

/// Every request acts for [`Owner::ANONYMOUS`] for now: sign-in will replace this extractor
/// with one that reads the caller's token, and the handlers that take an `Owner` stay as
/// they are.
impl FromRequestParts for Owner {
    type Rejection = ApiError;

    async fn from_request_parts(_: &mut Parts, _: &RequestContext<'_>) -> Result<Self, ApiError> {
        Ok(Owner::ANONYMOUS)
    }
}
