//! [`TlsError`]: why a certificate and key could not be loaded.

use std::fmt;
use std::path::{Path, PathBuf};

/// Why a certificate chain and private key could not be loaded: from
/// [`TlsConfig::from_pem_files`](crate::TlsConfig::from_pem_files),
/// [`TlsConfig::from_pem`](crate::TlsConfig::from_pem) or a reload.
///
/// `Display` says what is wrong and where (the file, when there is one); `source` gives the
/// cause underneath (an I/O error, a PEM syntax error, the TLS library's reason).
#[derive(Debug)]
pub struct TlsError {
    kind: Kind,
    /// The file read, or `None` for PEM given in code.
    path: Option<PathBuf>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The certificate file could not be read.
    ReadCertificate,
    /// The key file could not be read.
    ReadKey,
    /// The certificate PEM is malformed.
    BadCertificatePem,
    /// The certificate PEM holds no `CERTIFICATE` section.
    NoCertificate,
    /// The first certificate is no valid X.509 certificate.
    InvalidCertificate,
    /// The key PEM is malformed.
    BadKeyPem,
    /// The key PEM holds no private key (PKCS#8, PKCS#1 or SEC1).
    NoKey,
    /// The key is not one the TLS library can sign with.
    UnsupportedKey,
    /// The key is not the certificate's.
    KeyMismatch,
}

impl TlsError {
    pub(crate) fn new(
        kind: Kind,
        path: Option<&Path>,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            kind,
            path: path.map(Path::to_path_buf),
            source,
        }
    }

    /// The file the error is about, if the PEM came from a file.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    #[cfg(test)]
    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            Kind::ReadCertificate => "cannot read the TLS certificate chain",
            Kind::ReadKey => "cannot read the TLS private key",
            Kind::BadCertificatePem => "the TLS certificate chain is not valid PEM",
            Kind::NoCertificate => "no CERTIFICATE section in the TLS certificate chain",
            Kind::InvalidCertificate => "the TLS certificate is not a valid X.509 certificate",
            Kind::BadKeyPem => "the TLS private key is not valid PEM",
            Kind::NoKey => {
                "no private key (PKCS#8, PKCS#1 or SEC1 PEM section) in the TLS private key"
            }
            Kind::UnsupportedKey => "the TLS private key is not an RSA, ECDSA or Ed25519 key",
            Kind::KeyMismatch => "the TLS private key is not the certificate's key",
        };
        f.write_str(what)?;
        match &self.path {
            Some(path) => write!(f, " `{}`", path.display()),
            None => Ok(()),
        }
    }
}

impl std::error::Error for TlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}
