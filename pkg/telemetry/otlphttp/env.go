package otlphttp

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ConfigFromEnv reads the standard OTLP exporter variables through getenv,
// the trace-specific one winning over the general one:
//
//   - OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, used as is; else
//     OTEL_EXPORTER_OTLP_ENDPOINT with /v1/traces appended; else
//     DefaultEndpoint.
//   - OTEL_EXPORTER_OTLP_[TRACES_]HEADERS: a comma-separated list of
//     key=value, both percent-decoded.
//   - OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT: milliseconds (default 10000).
//   - OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION: gzip or none.
//   - OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL: http/protobuf (default) or
//     http/json; grpc is ErrUnsupported.
//
// A malformed value is an error naming the variable, not a silent default:
// a function misconfigured this way would otherwise lose its traces unseen.
// TLS client certificates (OTEL_EXPORTER_OTLP_CERTIFICATE...) are not read.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var cfg Config
	var errs []error
	pick := func(name string) (string, string) {
		traces := "OTEL_EXPORTER_OTLP_TRACES_" + name
		if v := strings.TrimSpace(getenv(traces)); v != "" {
			return traces, v
		}
		general := "OTEL_EXPORTER_OTLP_" + name
		return general, strings.TrimSpace(getenv(general))
	}
	if v := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")); v != "" {
		cfg.Endpoint = v
	} else if v := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT")); v != "" {
		cfg.Endpoint = strings.TrimRight(v, "/") + tracesPath
	}
	if name, v := pick("HEADERS"); v != "" {
		h, err := parseHeaders(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("otlphttp: %s: %w", name, err))
		}
		cfg.Headers = h
	}
	if name, v := pick("TIMEOUT"); v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms < 0 || ms > math.MaxInt64/int64(time.Millisecond) {
			errs = append(errs, fmt.Errorf("otlphttp: %s=%q is not a number of milliseconds", name, v))
		}
		cfg.Timeout = time.Duration(ms) * time.Millisecond
	}
	if name, v := pick("COMPRESSION"); v != "" {
		switch strings.ToLower(v) {
		case "gzip":
			cfg.Gzip = true
		case "none":
		default:
			errs = append(errs, fmt.Errorf("%w: %s=%q (supported: gzip, none)", ErrUnsupported, name, v))
		}
	}
	if name, v := pick("PROTOCOL"); v != "" {
		switch v {
		case ProtocolProtobuf, ProtocolJSON:
			cfg.Protocol = v
		default:
			errs = append(errs, fmt.Errorf("%w: %s=%q (supported: %s, %s; gRPC is not linked in)", ErrUnsupported, name, v, ProtocolProtobuf, ProtocolJSON))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return cfg, cfg.Validate()
}

// parseHeaders parses the W3C-baggage-like list of the OTLP headers
// variables: k1=v1,k2=v2 with percent-encoded keys and values.
func parseHeaders(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("header %q is not key=value", item)
		}
		key, err := url.PathUnescape(strings.TrimSpace(k))
		if err != nil || key == "" {
			return nil, fmt.Errorf("header key %q is not a percent-encoded name", k)
		}
		val, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("header %q: value is not percent-encoded: %v", key, err)
		}
		out[key] = val
	}
	return out, nil
}
