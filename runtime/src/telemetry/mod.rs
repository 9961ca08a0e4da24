//! What an instance tells its operator: the log (text or JSON lines), each request's id and
//! access line ([`App::access_log`](crate::App::access_log)), and, with the `otel` feature,
//! its spans exported over OTLP.

mod request_id;

#[cfg(feature = "otel")]
mod otel;

use std::fmt;
use std::str::FromStr;

pub use request_id::RequestId;
pub(crate) use request_id::access_layer;

/// How the log is printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// One line of text per event, for people.
    #[default]
    Text,
    /// One JSON object per line, with the event's fields and those of its spans (a request's
    /// `request_id`, `method`, `route`), for log collectors.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        match value {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!("unknown log format `{other}`: `text` or `json`")),
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Text => "text",
            Self::Json => "json",
        })
    }
}

/// What [`install`] set up, to be flushed when the process ends.
#[derive(Debug, Default)]
pub(crate) struct Telemetry {
    #[cfg(feature = "otel")]
    traces: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans still buffered; called once serving is over.
    pub(crate) fn flush(self) {
        #[cfg(feature = "otel")]
        if let Some(traces) = self.traces
            && let Err(error) = traces.shutdown()
        {
            eprintln!("warning: the last spans could not be exported: {error}");
        }
    }
}

/// Prints the app's log (oxapi's warnings among them: a stalled event loop, a failed
/// background task) to stderr in `format`, filtered by `RUST_LOG` (default `info`), unless the
/// program installed a subscriber of its own first. With the `otel` feature and
/// `$OTEL_EXPORTER_OTLP_ENDPOINT` set, spans are also exported over OTLP/HTTP, as
/// `$OTEL_SERVICE_NAME` or else `service`.
pub(crate) fn install(format: LogFormat, service: &str) -> Telemetry {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{EnvFilter, Layer};

    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let mut telemetry = Telemetry::default();
    #[cfg(feature = "otel")]
    let exported: Option<otel::OtelLayer> = match otel::pipeline(service) {
        Ok(Some((provider, layer))) => {
            telemetry.traces = Some(provider);
            Some(layer)
        }
        Ok(None) => None,
        Err(error) => {
            eprintln!("warning: spans are not exported: {error}");
            None
        }
    };
    #[cfg(not(feature = "otel"))]
    let exported: Option<Box<dyn Layer<tracing_subscriber::Registry> + Send + Sync>> = {
        let _ = service;
        if std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some() {
            eprintln!(
                "warning: $OTEL_EXPORTER_OTLP_ENDPOINT is set, but this program was built \
                 without oxapi's `otel` feature: no spans are exported"
            );
        }
        None
    };
    let log = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .with_writer(std::io::stderr)
            .boxed(),
    };
    // Fails only if a subscriber is already set: the program's, which wins.
    if tracing_subscriber::registry()
        .with(exported)
        .with(log.with_filter(filter))
        .try_init()
        .is_err()
    {
        telemetry = Telemetry::default();
    }
    telemetry
}
