//! Shared application state: [`State<T>`].

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;

use http::request::Parts;

use super::{FromRequestParts, Rejection, RequestContext};
use crate::route::OperationDoc;

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

/// The app's states, one per type.
#[derive(Debug, Default)]
pub(crate) struct StateMap {
    // Each entry is an `Arc<T>` under `T`'s id, so handlers clone an `Arc`, not the state.
    states: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
}

impl StateMap {
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        self.states
            .insert(TypeId::of::<T>(), Box::new(Arc::new(value)));
    }

    pub(crate) fn contains(&self, id: TypeId) -> bool {
        self.states.contains_key(&id)
    }

    pub(crate) fn get<T: Send + Sync + 'static>(&self) -> Option<&Arc<T>> {
        self.states
            .get(&TypeId::of::<T>())?
            .downcast_ref::<Arc<T>>()
    }
}
