//! Shared application state: [`State<T>`].

use std::sync::Arc;

use http::request::Parts;

use super::{FromRequestParts, Rejection, RequestContext};
use oxapi_openapi::OperationDoc;

/// A value registered with [`App::state`](crate::App::state), shared by every request.
///
/// A route that asks for a state the app was not given is an error when the app starts,
/// not when the first request arrives.
#[derive(Debug)]
pub struct State<T>(pub Arc<T>);

impl<T> Clone for State<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T> std::ops::Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Send + Sync + 'static> FromRequestParts for State<T> {
    type Rejection = Rejection;

    async fn from_request_parts(
        _parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, Rejection> {
        ctx.state::<T>()
            .map(|state| State(Arc::clone(state)))
            .ok_or(Rejection::MissingState {
                type_name: std::any::type_name::<T>(),
            })
    }

    fn describe(op: &mut OperationDoc<'_>) {
        op.require_state::<T>();
    }
}
