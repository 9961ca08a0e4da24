//! [`TlsConfig`]: the certificate, its key and the handshake settings the server uses.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;

use super::acceptor::Acceptor;
use super::error::TlsError;
use super::pem::{self, PemFiles};
use super::resolver::CurrentCert;
use super::{ALPN_H2, ALPN_HTTP11};

/// How long a client has to complete the TLS handshake unless
/// [`TlsConfig::handshake_timeout`] says otherwise: 10 s.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// TLS for the server ([`App::tls`](crate::App::tls)): a certificate chain, its private key,
/// and how long a client may take to complete its handshake.
///
/// The server then speaks only TLS (1.3 and 1.2, rustls with the `ring` provider) on its
/// port, and offers HTTP/2 and HTTP/1.1 by ALPN: clients that can, get HTTP/2. A chain read
/// from files ([`TlsConfig::from_pem_files`]) is read again on [`TlsConfig::reload`], and
/// on `SIGHUP` while the app serves: new handshakes get the new certificate, connections
/// already open keep theirs. A reload that fails keeps the certificate in use.
///
/// Clones share the certificate: a reload through one is seen by all.
///
/// ```no_run
/// use std::time::Duration;
/// use oxapi::{App, TlsConfig};
///
/// # async fn serve() -> Result<(), Box<dyn std::error::Error>> {
/// let tls = TlsConfig::from_pem_files("/etc/service/cert.pem", "/etc/service/key.pem")?
///     .handshake_timeout(Duration::from_secs(5));
/// App::new().tls(tls).serve("0.0.0.0:8443".parse()?).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    server: Arc<ServerConfig>,
    cert: Arc<CurrentCert>,
    /// Where the chain and key were read from; `None` for PEM given in code.
    files: Option<Arc<PemFiles>>,
    provider: Arc<CryptoProvider>,
    handshake_timeout: Duration,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("files", &self.files)
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// Reads a PEM certificate chain (the server's certificate first, then its
    /// intermediates) and the PEM private key of its first certificate (PKCS#8, PKCS#1 or
    /// SEC1; RSA, ECDSA or Ed25519). The files are read again on a reload.
    ///
    /// # Errors
    ///
    /// If a file cannot be read, holds no certificate or key, is not valid PEM, or the key
    /// is not the certificate's.
    pub fn from_pem_files(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<Self, TlsError> {
        let files = PemFiles {
            cert: cert.as_ref().to_path_buf(),
            key: key.as_ref().to_path_buf(),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = files.load(&provider)?;
        Ok(Self::new(provider, key, Some(Arc::new(files))))
    }

    /// A certificate chain and its key given as PEM text, as
    /// [`TlsConfig::from_pem_files`] reads them. There is nothing to read again:
    /// [`TlsConfig::reload`] keeps this certificate.
    ///
    /// # Errors
    ///
    /// If either holds no certificate or key, is not valid PEM, or the key is not the
    /// certificate's.
    pub fn from_pem(cert: impl AsRef<[u8]>, key: impl AsRef<[u8]>) -> Result<Self, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = pem::from_pem(cert.as_ref(), key.as_ref(), &provider)?;
        Ok(Self::new(provider, key, None))
    }

    fn new(
        provider: Arc<CryptoProvider>,
        key: Arc<rustls::sign::CertifiedKey>,
        files: Option<Arc<PemFiles>>,
    ) -> Self {
        let cert = Arc::new(CurrentCert::new(key));
        let mut server = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            // The provider is ring's, which has suites for both versions.
            .expect("ring supports TLS 1.2 and 1.3")
            .with_no_client_auth()
            .with_cert_resolver(Arc::clone(&cert) as Arc<dyn rustls::server::ResolvesServerCert>);
        // Preference order: HTTP/2 for clients that offer it.
        server.alpn_protocols = vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()];
        Self {
            server: Arc::new(server),
            cert,
            files,
            provider,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
        }
    }

    /// How long a client may take from connecting to completing the TLS handshake (default
    /// [`DEFAULT_HANDSHAKE_TIMEOUT`], 10 s); past it the connection is closed. It bounds
    /// what a client that connects and sends nothing, or trickles its hello, can hold.
    #[must_use]
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Reads the certificate chain and key files again: handshakes from now on get the new
    /// certificate, open connections keep theirs. `App::run` and [`App::serve`](crate::App::serve)
    /// call it on `SIGHUP`. A config made with [`TlsConfig::from_pem`] has no files and keeps
    /// its certificate.
    ///
    /// # Errors
    ///
    /// As [`TlsConfig::from_pem_files`]; the certificate in use is then kept.
    pub fn reload(&self) -> Result<(), TlsError> {
        if let Some(files) = &self.files {
            self.cert.replace(files.load(&self.provider)?);
        }
        Ok(())
    }

    /// Whether [`TlsConfig::reload`] has files to read.
    pub(crate) fn reloads(&self) -> bool {
        self.files.is_some()
    }

    /// What accepts the server's connections.
    pub(crate) fn acceptor(&self) -> Acceptor {
        Acceptor::new(Arc::clone(&self.server), self.handshake_timeout)
    }

    /// The configured handshake timeout, kept when the command line replaces the files.
    pub(crate) fn timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// The certificate handshakes get now.
    #[cfg(test)]
    pub(crate) fn current(&self) -> Arc<rustls::sign::CertifiedKey> {
        self.cert.current()
    }

    /// The protocols offered by ALPN, in preference order.
    #[cfg(test)]
    pub(crate) fn alpn(&self) -> &[Vec<u8>] {
        &self.server.alpn_protocols
    }
}
