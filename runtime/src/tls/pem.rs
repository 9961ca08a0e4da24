//! A certificate chain and its private key, from PEM text or PEM files, checked into the
//! `CertifiedKey` rustls signs handshakes with.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::error::{Kind, TlsError};

/// Where a certificate chain and its key are read from, and read again on a reload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PemFiles {
    /// The certificate chain: the server's certificate first, then the intermediates.
    pub(crate) cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub(crate) key: PathBuf,
}

impl PemFiles {
    /// Reads both files and checks them into a key.
    pub(crate) fn load(&self, provider: &CryptoProvider) -> Result<Arc<CertifiedKey>, TlsError> {
        let cert = read(&self.cert, Kind::ReadCertificate)?;
        let key = read(&self.key, Kind::ReadKey)?;
        let chain = certificates(&cert, Some(&self.cert))?;
        let key = private_key(&key, Some(&self.key))?;
        certified(chain, key, Some(self), provider)
    }
}

/// Checks PEM text given in code into a key.
pub(crate) fn from_pem(
    cert: &[u8],
    key: &[u8],
    provider: &CryptoProvider,
) -> Result<Arc<CertifiedKey>, TlsError> {
    let chain = certificates(cert, None)?;
    let key = private_key(key, None)?;
    certified(chain, key, None, provider)
}

fn read(path: &Path, kind: Kind) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|error| TlsError::new(kind, Some(path), Some(error.into())))
}

/// Every `CERTIFICATE` section, in order; at least one.
fn certificates(
    text: &[u8],
    path: Option<&Path>,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let chain = CertificateDer::pem_slice_iter(text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| TlsError::new(Kind::BadCertificatePem, path, Some(error.into())))?;
    if chain.is_empty() {
        return Err(TlsError::new(Kind::NoCertificate, path, None));
    }
    Ok(chain)
}

/// The first private key section.
fn private_key(text: &[u8], path: Option<&Path>) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(text).map_err(|error| match error {
        pem::Error::NoItemsFound => TlsError::new(Kind::NoKey, path, None),
        error => TlsError::new(Kind::BadKeyPem, path, Some(error.into())),
    })
}

/// The chain with its key, once the provider can sign with the key and the key is the
/// certificate's.
fn certified(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    files: Option<&PemFiles>,
    provider: &CryptoProvider,
) -> Result<Arc<CertifiedKey>, TlsError> {
    let key_path = files.map(|files| files.key.as_path());
    let signing_key = provider
        .key_provider
        .load_private_key(key)
        .map_err(|error| TlsError::new(Kind::UnsupportedKey, key_path, Some(error.into())))?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        // A key that cannot tell its public half is taken on trust, as rustls's own
        // `CertifiedKey::from_der` does.
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
            Ok(Arc::new(certified))
        }
        Err(rustls::Error::InconsistentKeys(_)) => {
            Err(TlsError::new(Kind::KeyMismatch, key_path, None))
        }
        // The first certificate did not parse.
        Err(error) => Err(TlsError::new(
            Kind::InvalidCertificate,
            files.map(|files| files.cert.as_path()),
            Some(error.into()),
        )),
    }
}
