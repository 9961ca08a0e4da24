//! The certificate new handshakes are given, replaceable while the server runs.

use std::sync::{Arc, PoisonError, RwLock};

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// Hands every handshake the current certificate; [`CurrentCert::replace`] swaps it.
///
/// A connection keeps the certificate it was handshaken with (the TLS session holds its own
/// `Arc`), so a replacement reaches new connections only and open ones are untouched. The
/// lock is taken once per handshake, for an `Arc` clone, never per request.
#[derive(Debug)]
pub(crate) struct CurrentCert(RwLock<Arc<CertifiedKey>>);

impl CurrentCert {
    pub(crate) fn new(key: Arc<CertifiedKey>) -> Self {
        Self(RwLock::new(key))
    }

    /// The certificate handshakes get from now on.
    pub(crate) fn replace(&self, key: Arc<CertifiedKey>) {
        // A poisoned lock still holds a whole `Arc`: nothing panics while holding it.
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = key;
    }

    /// The certificate handshakes get now.
    pub(crate) fn current(&self) -> Arc<CertifiedKey> {
        Arc::clone(&self.0.read().unwrap_or_else(PoisonError::into_inner))
    }
}

impl ResolvesServerCert for CurrentCert {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}
