//! Shared application state: [`State<T>`].

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
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
    states: HashMap<TypeId, Box<dyn Any + Send + Sync>, BuildHasherDefault<TypeIdHasher>>,
}

/// Hashes a [`TypeId`], which is already a hash: its bits are used as they are. Every
/// `State<T>` parameter looks its state up per request, and SipHash would cost more than
/// the rest of the lookup.
#[derive(Debug, Default)]
struct TypeIdHasher(u64);

impl Hasher for TypeIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, id: u64) {
        self.0 ^= id;
    }

    /// `TypeId` writes integers today; any other input is folded in, slower but correct.
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }
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
