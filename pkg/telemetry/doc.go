// Package telemetry is what every CogniForge function shares for tracing and
// logs without exporting anything itself: W3C trace context and baggage
// propagation through CloudEvents, SQS message attributes and Step Functions
// payloads (X-Ray headers converted by the contrib X-Ray propagator), the
// samplers chosen by OTEL_TRACES_SAMPLER (the standard ones plus a
// per-instance rate limiter), and a JSON slog logger that stamps trace,
// function, event and correlation ids on every record and masks secrets and
// personal data in log and span attributes. Building the tracer provider and
// its OTLP exporter is telemetry/otelsetup; tracing AWS SDK calls is
// telemetry/awstrace.
//
// Everything here is safe for concurrent use; nothing is registered
// globally.
package telemetry
