//! Span export over OTLP (the `otel` feature): the spans `tracing` records (each request's,
//! and the program's own) become OpenTelemetry spans, batched and sent over HTTP/protobuf to
//! `$OTEL_EXPORTER_OTLP_ENDPOINT`, and W3C trace context (`traceparent`) is read from each
//! request and written to the calls a handler makes, so one request can be followed across
//! instances and services.

use http::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer;
use tracing_subscriber::registry::Registry;

/// The layer feeding `tracing`'s spans to the exporter, with its filter.
pub(super) type OtelLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// The exporter and its layer, if `$OTEL_EXPORTER_OTLP_ENDPOINT` (or the traces-only
/// `$OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) names a collector and `$OTEL_SDK_DISABLED` is not
/// `true`.
///
/// # Errors
///
/// If the exporter cannot be built (an endpoint that is no URL).
pub(super) fn pipeline(service: &str) -> Result<Option<(SdkTracerProvider, OtelLayer)>, String> {
    let var = |name| std::env::var(name).ok().filter(|value| !value.is_empty());
    if var("OTEL_EXPORTER_OTLP_ENDPOINT").is_none()
        && var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_none()
    {
        return Ok(None);
    }
    if var("OTEL_SDK_DISABLED").is_some_and(|value| value.eq_ignore_ascii_case("true")) {
        return Ok(None);
    }
    // The exporter's HTTP client is reqwest on rustls without a provider of its own (the
    // workspace picks ring, as the server's TLS does): make ring the process's default,
    // unless the program chose one already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    // The exporter reads the endpoint, headers and timeout from the standard variables.
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
        .map_err(|error| error.to_string())?;
    let name = var("OTEL_SERVICE_NAME").unwrap_or_else(|| service.to_owned());
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name(name)
                .build(),
        )
        .build();
    let tracer = provider.tracer("oxapi");
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(filter)
        .boxed();
    Ok(Some((provider, layer)))
}

/// Reads a request's headers for the propagator.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

/// Writes an outgoing call's headers for the propagator.
struct HeadersMut<'a>(&'a mut HeaderMap);

impl Injector for HeadersMut<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// Makes `span` a child of the trace the request's `traceparent` names, if any.
pub(crate) fn adopt_parent(span: &tracing::Span, headers: &HeaderMap) {
    let parent = TraceContextPropagator::new().extract(&Headers(headers));
    // Fails only if no OpenTelemetry layer sees the span: then there is nothing to link.
    let _ = span.set_parent(parent);
}

/// Writes the current span's trace context (`traceparent`, `tracestate`) into `headers`.
pub(crate) fn inject_current(headers: &mut HeaderMap) {
    let context = tracing::Span::current().context();
    TraceContextPropagator::new().inject_context(&context, &mut HeadersMut(headers));
}
