package telemetry_test

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

func FuzzXRayToTraceparent(f *testing.F) {
	f.Add("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	f.Add("Root=1-5e9f0c65-1de4d666d4dd26aced652b6c")
	f.Add(";;==;Root=")
	f.Fuzz(func(t *testing.T, h string) {
		tp := telemetry.XRayToTraceparent(h)
		if tp == "" {
			return
		}
		sc := trace.SpanContextFromContext(telemetry.ContextWithTraceparent(context.Background(), tp, ""))
		if !sc.IsValid() {
			t.Fatalf("%q gave invalid traceparent %q", h, tp)
		}
	})
}

func FuzzExtractPayload(f *testing.F) {
	f.Add([]byte(`{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","tracestate":"a=b"}`))
	f.Add([]byte(`{"traceparent":1}`))
	f.Add([]byte(`[{"traceparent":"x"}]`))
	f.Add([]byte(`{"baggage":"tenant=acme,plan=gold;prop=1","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}`))
	f.Add([]byte(`{"baggage":"=,;%zz"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		_ = telemetry.ExtractPayload(context.Background(), payload)
	})
}

func FuzzSensitiveValue(f *testing.F) {
	f.Add("4111 1111 1111 1111")
	f.Add("a@b.c")
	f.Add("123-45-6789")
	f.Fuzz(func(t *testing.T, s string) {
		// Must terminate and be stable under a prefix and suffix of spaces.
		if telemetry.SensitiveValue(s) != telemetry.SensitiveValue(" "+s+" ") && !strings.ContainsAny(s, " -") {
			t.Fatalf("%q: unstable", s)
		}
	})
}
