//! The app's shared state values, found by type.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

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
