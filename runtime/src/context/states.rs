//! The app's shared state values, found by type.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, OnceLock};

/// A state a startup hook provides: empty when the app is built, filled once before the first
/// request is served.
pub(crate) type StateSlot<T> = Arc<OnceLock<Arc<T>>>;

/// The app's states, one per type.
#[derive(Debug, Default)]
pub(crate) struct StateMap {
    // Each entry is an `Arc<T>` under `T`'s id, so handlers clone an `Arc`, not the state; or,
    // for a state a startup hook provides, a `StateSlot<T>` the hook fills.
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

    /// Reserves `T` for a startup hook: the app counts as having a `T` (the build check passes),
    /// and the hook fills the returned slot. Like [`StateMap::insert`], it replaces an earlier
    /// value of the same type. A hook that returns `()` provides no state: its slot is not
    /// registered.
    pub(crate) fn provide<T: Send + Sync + 'static>(&mut self) -> StateSlot<T> {
        let slot = StateSlot::<T>::default();
        if TypeId::of::<T>() != TypeId::of::<()>() {
            self.states
                .insert(TypeId::of::<T>(), Box::new(Arc::clone(&slot)));
        }
        slot
    }

    pub(crate) fn contains(&self, id: TypeId) -> bool {
        self.states.contains_key(&id)
    }

    pub(crate) fn get<T: Send + Sync + 'static>(&self) -> Option<&Arc<T>> {
        let entry = self.states.get(&TypeId::of::<T>())?;
        // A value given to the builder is found by the first downcast, so a slot costs those
        // states nothing.
        match entry.downcast_ref::<Arc<T>>() {
            Some(value) => Some(value),
            None => entry.downcast_ref::<StateSlot<T>>()?.get(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provided_state_is_present_for_the_check_and_found_once_filled() {
        let mut states = StateMap::default();
        let slot = states.provide::<u32>();
        assert!(states.contains(TypeId::of::<u32>()));
        assert!(states.get::<u32>().is_none());
        slot.set(Arc::new(7)).unwrap();
        assert_eq!(states.get::<u32>().map(|value| **value), Some(7));
    }

    #[test]
    fn a_unit_value_is_no_state() {
        let mut states = StateMap::default();
        let _slot = states.provide::<()>();
        assert!(!states.contains(TypeId::of::<()>()));
    }

    #[test]
    fn the_last_registration_of_a_type_wins() {
        let mut states = StateMap::default();
        let slot = states.provide::<u32>();
        states.insert(1_u32);
        slot.set(Arc::new(2)).unwrap();
        assert_eq!(states.get::<u32>().map(|value| **value), Some(1));

        let slot = states.provide::<u32>();
        slot.set(Arc::new(3)).unwrap();
        assert_eq!(states.get::<u32>().map(|value| **value), Some(3));
    }
}
