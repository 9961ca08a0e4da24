//! Reading the certificate files again on `SIGHUP`, as nginx and HAProxy do, so a renewed
//! certificate is served without a restart and without dropping a connection.

use tokio::task::JoinHandle;

use super::TlsConfig;

/// Reloads the certificate on every `SIGHUP` until dropped.
#[derive(Debug)]
pub(crate) struct ReloadOnHangup(JoinHandle<()>);

impl Drop for ReloadOnHangup {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl ReloadOnHangup {
    /// Installs the `SIGHUP` handler now, so a hangup that comes once this returns is a
    /// reload and not the default action (ending the process), and reloads `config` on each
    /// one. `None` when the config has no files, or the handler cannot be installed (logged).
    /// Must be called within the runtime.
    pub(crate) fn start(config: &TlsConfig) -> Option<Self> {
        if !config.reloads() {
            return None;
        }
        start(config.clone())
    }
}

#[cfg(unix)]
fn start(config: TlsConfig) -> Option<ReloadOnHangup> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangup = match signal(SignalKind::hangup()) {
        Ok(hangup) => hangup,
        Err(error) => {
            tracing::error!(%error, "cannot handle SIGHUP: the TLS certificate will not be reloaded");
            return None;
        }
    };
    Some(ReloadOnHangup(tokio::spawn(async move {
        while hangup.recv().await.is_some() {
            let config = config.clone();
            // Two small files, but file reads block: off the event loop.
            let reloaded = tokio::task::spawn_blocking(move || config.reload()).await;
            match reloaded {
                Ok(Ok(())) => tracing::info!("SIGHUP: TLS certificate reloaded"),
                Ok(Err(error)) => {
                    let cause = std::error::Error::source(&error)
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    tracing::error!(%error, %cause, "SIGHUP: TLS certificate not reloaded; keeping the one in use");
                }
                Err(error) => tracing::error!(%error, "SIGHUP: the TLS reload did not finish"),
            }
        }
    })))
}

#[cfg(not(unix))]
fn start(_config: TlsConfig) -> Option<ReloadOnHangup> {
    None
}
