//! Replacements for dependencies, by type: FastAPI's `dependency_overrides`.

use std::any::{Any, TypeId};
use std::collections::HashMap;

use http::request::Parts;

use super::{BoxFuture, RequestContext};
use crate::body::Response;

/// A test's replacement for a dependency `T`.
pub(crate) enum Override<T> {
    /// A clone of this value.
    Value(T),
    /// What this function extracts.
    Extractor(for<'a> fn(&'a mut Parts, RequestContext<'a>) -> BoxFuture<'a, Result<T, Response>>),
}

/// The app's overrides, by the type they replace.
#[derive(Debug, Default)]
pub(crate) struct Overrides {
    by_type: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
}

impl Overrides {
    /// The override of `T`, if a test set one. Apps without overrides pay one length check.
    pub(crate) fn get<T: 'static>(&self) -> Option<&Override<T>> {
        if self.by_type.is_empty() {
            return None;
        }
        self.by_type.get(&TypeId::of::<T>())?.downcast_ref()
    }

    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, replacement: Override<T>) {
        self.by_type
            .insert(TypeId::of::<T>(), Box::new(replacement));
    }
}
