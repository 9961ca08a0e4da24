//! Values middleware hands to handlers ([`Extension`]) and the route template that matched
//! ([`MatchedPath`]).

use http::request::Parts;
use oxapi_openapi::FrameworkError;

use super::{FromRequestParts, RequestContext};
use crate::problem::Problem;
use crate::response::Response;

/// A value a middleware put in the request's extensions (`request.extensions_mut().insert(..)`),
/// cloned out for the handler.
///
/// A missing value is the app's mistake, not the client's: a layer that should have added it
/// is not there. The request is answered `500` and the mistake is logged.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extension<T>(pub T);

impl<T> std::ops::Deref for Extension<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone + Send + Sync + 'static> FromRequestParts for Extension<T> {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        _ctx: &RequestContext<'_>,
    ) -> Result<Self, Response> {
        match parts.extensions.get::<T>() {
            Some(value) => Ok(Self(value.clone())),
            None => {
                tracing::error!(
                    extension = std::any::type_name::<T>(),
                    path = parts.uri.path(),
                    "a handler takes `Extension<T>`, but no layer added a `T` to the request"
                );
                Err(Problem::from(FrameworkError::Internal).to_response())
            }
        }
    }
}

/// The template of the route serving the request, with any router prefix: `/v1/items/{id}`.
/// For span names and metric labels, where the concrete path would make one label per item.
///
/// Middleware on a route or router finds it in the request's extensions too; middleware on
/// the whole app runs before routing, so it cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedPath(pub(crate) std::sync::Arc<str>);

impl MatchedPath {
    /// The template.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromRequestParts for MatchedPath {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, Self::Rejection> {
        if let Some(matched) = parts.extensions.get::<Self>() {
            return Ok(matched.clone());
        }
        Ok(Self(ctx.matched_path().into()))
    }
}
