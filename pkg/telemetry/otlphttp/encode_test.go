package otlphttp_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonv1 "go.opentelemetry.io/proto/otlp/common/v1"
	resourcev1 "go.opentelemetry.io/proto/otlp/resource/v1"
	tracev1 "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/cogniforge/cogniforge/pkg/telemetry/otlphttp"
)

var (
	tid  = trace.TraceID{0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd, 0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c}
	sid  = trace.SpanID{0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31}
	psid = trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}
	ltid = trace.TraceID{0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	lsid = trace.SpanID{9, 9, 9, 9, 9, 9, 9, 9}
	t0   = time.Date(2026, 12, 2, 13, 0, 0, 123456789, time.UTC)
)

// everyAttribute holds one attribute of each type OTel has, nested ones
// included, and the zero values proto3 would omit were they not in a oneof.
var everyAttribute = []attribute.KeyValue{
	attribute.String("s", "héllo \"quoted\"\n"),
	attribute.String("empty", ""),
	attribute.Bool("t", true),
	attribute.Bool("f", false),
	attribute.Int64("i", -42),
	attribute.Int64("zero", 0),
	attribute.Int64("max", math.MaxInt64),
	attribute.Float64("d", 3.25),
	attribute.Float64("dneg", -1e-300),
	attribute.ByteSlice("bytes", []byte{0, 1, 0xff}),
	attribute.BoolSlice("bs", []bool{true, false}),
	attribute.Int64Slice("is", []int64{1, -2, 0}),
	attribute.Float64Slice("ds", []float64{0.5, 0}),
	attribute.StringSlice("ss", []string{"a", ""}),
	attribute.StringSlice("noelems", []string{}),
	attribute.Slice("mixed", attribute.StringValue("x"), attribute.Int64Value(7), attribute.SliceValue(attribute.BoolValue(true))),
	attribute.Map("kv", attribute.String("inner", "v"), attribute.Map("deeper", attribute.Float64("pi", 3.14))),
}

// fullSpan is a span using every field OTLP carries.
func fullSpan() tracetest.SpanStub {
	ts, _ := trace.ParseTraceState("vendor=abc,other=1")
	return tracetest.SpanStub{
		Name:        "charge card",
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, TraceState: ts}),
		Parent:      trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: psid, Remote: true}),
		SpanKind:    trace.SpanKindConsumer,
		StartTime:   t0,
		EndTime:     t0.Add(1500 * time.Millisecond),
		Attributes:  everyAttribute,
		Events: []sdktrace.Event{
			{Name: "retry", Time: t0.Add(time.Millisecond), Attributes: []attribute.KeyValue{attribute.Int("attempt", 2)}, DroppedAttributeCount: 1},
			{Name: "no attributes", Time: t0.Add(2 * time.Millisecond)},
		},
		Links: []sdktrace.Link{
			{SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: ltid, SpanID: lsid, TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true}), Attributes: []attribute.KeyValue{attribute.String("why", "batch")}, DroppedAttributeCount: 3},
			{SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: ltid, SpanID: psid})},
		},
		Status:               sdktrace.Status{Code: codes.Error, Description: "card declined"},
		DroppedAttributes:    4,
		DroppedEvents:        5,
		DroppedLinks:         6,
		Resource:             resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0", attribute.String("service.name", "orders"), attribute.Int("shard", 3)),
		InstrumentationScope: instrumentation.Scope{Name: "cogniforge/faas", Version: "1.0", SchemaURL: "https://example.com/s", Attributes: attribute.NewSet(attribute.String("scope.attr", "x"))},
	}
}

// The reference mapping below is written against the generated types, field
// by field, independently of the encoder: what a collector must decode.

func wantAny(v attribute.Value) *commonv1.AnyValue {
	switch v.Type() {
	case attribute.BOOL:
		return &commonv1.AnyValue{Value: &commonv1.AnyValue_BoolValue{BoolValue: v.AsBool()}}
	case attribute.INT64:
		return &commonv1.AnyValue{Value: &commonv1.AnyValue_IntValue{IntValue: v.AsInt64()}}
	case attribute.FLOAT64:
		return &commonv1.AnyValue{Value: &commonv1.AnyValue_DoubleValue{DoubleValue: v.AsFloat64()}}
	case attribute.STRING:
		return &commonv1.AnyValue{Value: &commonv1.AnyValue_StringValue{StringValue: v.AsString()}}
	case attribute.BYTESLICE:
		return &commonv1.AnyValue{Value: &commonv1.AnyValue_BytesValue{BytesValue: v.AsByteSlice()}}
	case attribute.MAP:
		return &commonv1.AnyValue{Value: &commonv1.AnyValue_KvlistValue{KvlistValue: &commonv1.KeyValueList{Values: wantKVs(v.AsMap())}}}
	case attribute.EMPTY:
		return &commonv1.AnyValue{}
	}
	var elems []*commonv1.AnyValue
	switch v.Type() {
	case attribute.BOOLSLICE:
		for _, e := range v.AsBoolSlice() {
			elems = append(elems, wantAny(attribute.BoolValue(e)))
		}
	case attribute.INT64SLICE:
		for _, e := range v.AsInt64Slice() {
			elems = append(elems, wantAny(attribute.Int64Value(e)))
		}
	case attribute.FLOAT64SLICE:
		for _, e := range v.AsFloat64Slice() {
			elems = append(elems, wantAny(attribute.Float64Value(e)))
		}
	case attribute.STRINGSLICE:
		for _, e := range v.AsStringSlice() {
			elems = append(elems, wantAny(attribute.StringValue(e)))
		}
	case attribute.SLICE:
		for _, e := range v.AsSlice() {
			elems = append(elems, wantAny(e))
		}
	}
	return &commonv1.AnyValue{Value: &commonv1.AnyValue_ArrayValue{ArrayValue: &commonv1.ArrayValue{Values: elems}}}
}

func wantKVs(kvs []attribute.KeyValue) []*commonv1.KeyValue {
	var out []*commonv1.KeyValue
	for _, kv := range kvs {
		out = append(out, &commonv1.KeyValue{Key: string(kv.Key), Value: wantAny(kv.Value)})
	}
	return out
}

func flags(tf trace.TraceFlags, remote bool) uint32 {
	f := uint32(tf) | uint32(tracev1.SpanFlags_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK)
	if remote {
		f |= uint32(tracev1.SpanFlags_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK)
	}
	return f
}

func wantSpan(s tracetest.SpanStub) *tracev1.Span {
	tid, sid := s.SpanContext.TraceID(), s.SpanContext.SpanID()
	out := &tracev1.Span{
		TraceId:                tid[:],
		SpanId:                 sid[:],
		TraceState:             s.SpanContext.TraceState().String(),
		Flags:                  flags(s.SpanContext.TraceFlags(), s.Parent.IsRemote()),
		Name:                   s.Name,
		Kind:                   tracev1.Span_SpanKind(s.SpanKind),
		StartTimeUnixNano:      uint64(s.StartTime.UnixNano()),
		EndTimeUnixNano:        uint64(s.EndTime.UnixNano()),
		Attributes:             wantKVs(s.Attributes),
		DroppedAttributesCount: uint32(s.DroppedAttributes),
		DroppedEventsCount:     uint32(s.DroppedEvents),
		DroppedLinksCount:      uint32(s.DroppedLinks),
		Status:                 &tracev1.Status{},
	}
	if s.Parent.SpanID().IsValid() {
		p := s.Parent.SpanID()
		out.ParentSpanId = p[:]
	}
	for _, e := range s.Events {
		out.Events = append(out.Events, &tracev1.Span_Event{TimeUnixNano: uint64(e.Time.UnixNano()), Name: e.Name, Attributes: wantKVs(e.Attributes), DroppedAttributesCount: uint32(e.DroppedAttributeCount)})
	}
	for _, l := range s.Links {
		ltid, lsid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
		out.Links = append(out.Links, &tracev1.Span_Link{
			TraceId: ltid[:], SpanId: lsid[:], TraceState: l.SpanContext.TraceState().String(),
			Attributes: wantKVs(l.Attributes), DroppedAttributesCount: uint32(l.DroppedAttributeCount),
			Flags: flags(l.SpanContext.TraceFlags(), l.SpanContext.IsRemote()),
		})
	}
	switch s.Status.Code {
	case codes.Error:
		out.Status = &tracev1.Status{Code: tracev1.Status_STATUS_CODE_ERROR, Message: s.Status.Description}
	case codes.Ok:
		out.Status = &tracev1.Status{Code: tracev1.Status_STATUS_CODE_OK}
	}
	return out
}

func decodeProto(t testing.TB, b []byte) *collectortrace.ExportTraceServiceRequest {
	t.Helper()
	var got collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &got); err != nil {
		t.Fatalf("proto.Unmarshal: %v", err)
	}
	if len(got.ProtoReflect().GetUnknown()) != 0 {
		t.Fatalf("unknown fields in the request: a wrong field number")
	}
	return &got
}

// decodeJSON reads an OTLP JSON body with protojson, after turning the hex
// ids OTLP JSON uses into the base64 protojson expects for bytes.
func decodeJSON(t testing.TB, b []byte) *collectortrace.ExportTraceServiceRequest {
	t.Helper()
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	var fix func(any)
	fix = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if s, ok := e.(string); ok && (k == "traceId" || k == "spanId" || k == "parentSpanId") {
					raw, err := hex.DecodeString(s)
					if err != nil {
						t.Fatalf("%s %q is not hex", k, s)
					}
					v[k] = base64.StdEncoding.EncodeToString(raw)
					continue
				}
				fix(e)
			}
		case []any:
			for _, e := range v {
				fix(e)
			}
		}
	}
	fix(doc)
	b2, _ := json.Marshal(doc)
	var got collectortrace.ExportTraceServiceRequest
	if err := protojson.Unmarshal(b2, &got); err != nil {
		t.Fatalf("protojson.Unmarshal: %v\n%s", err, b)
	}
	return &got
}

func TestMarshalProtoEveryField(t *testing.T) {
	stub := fullSpan()
	for _, enc := range []struct {
		name   string
		decode func(testing.TB, []byte) *collectortrace.ExportTraceServiceRequest
		body   []byte
	}{
		{"protobuf", decodeProto, otlphttp.MarshalProto([]sdktrace.ReadOnlySpan{stub.Snapshot()})},
		{"json", decodeJSON, otlphttp.MarshalJSON([]sdktrace.ReadOnlySpan{stub.Snapshot()})},
	} {
		t.Run(enc.name, func(t *testing.T) {
			got := enc.decode(t, enc.body)
			if n := len(got.GetResourceSpans()); n != 1 {
				t.Fatalf("%d resource spans", n)
			}
			rs := got.GetResourceSpans()[0]
			if !proto.Equal(rs.GetResource(), &resourcev1.Resource{Attributes: wantKVs(stub.Resource.Attributes())}) {
				t.Errorf("resource %v", rs.GetResource())
			}
			if rs.GetSchemaUrl() != stub.Resource.SchemaURL() {
				t.Errorf("resource schema %q", rs.GetSchemaUrl())
			}
			ss := rs.GetScopeSpans()
			if len(ss) != 1 || len(ss[0].GetSpans()) != 1 {
				t.Fatalf("scope spans %v", ss)
			}
			wantScope := &commonv1.InstrumentationScope{Name: "cogniforge/faas", Version: "1.0", Attributes: wantKVs(stub.InstrumentationScope.Attributes.ToSlice())}
			if !proto.Equal(ss[0].GetScope(), wantScope) || ss[0].GetSchemaUrl() != "https://example.com/s" {
				t.Errorf("scope %v schema %q", ss[0].GetScope(), ss[0].GetSchemaUrl())
			}
			span, want := ss[0].GetSpans()[0], wantSpan(stub)
			// Field by field first, so a failure says which one.
			checks := []struct {
				field string
				ok    bool
			}{
				{"trace_id", string(span.TraceId) == string(want.TraceId)},
				{"span_id", string(span.SpanId) == string(want.SpanId)},
				{"parent_span_id", string(span.ParentSpanId) == string(want.ParentSpanId)},
				{"trace_state", span.TraceState == want.TraceState},
				{"flags", span.Flags == want.Flags},
				{"name", span.Name == want.Name},
				{"kind", span.Kind == tracev1.Span_SPAN_KIND_CONSUMER},
				{"start", span.StartTimeUnixNano == want.StartTimeUnixNano},
				{"end", span.EndTimeUnixNano == want.EndTimeUnixNano},
				{"dropped counts", span.DroppedAttributesCount == 4 && span.DroppedEventsCount == 5 && span.DroppedLinksCount == 6},
				{"status", proto.Equal(span.Status, want.Status) && span.Status.GetCode() == tracev1.Status_STATUS_CODE_ERROR},
				{"events", len(span.Events) == 2 && proto.Equal(span.Events[0], want.Events[0]) && proto.Equal(span.Events[1], want.Events[1])},
				{"links", len(span.Links) == 2 && proto.Equal(span.Links[0], want.Links[0]) && proto.Equal(span.Links[1], want.Links[1])},
			}
			for _, c := range checks {
				if !c.ok {
					t.Errorf("%s differs:\n got %v\nwant %v", c.field, span, want)
				}
			}
			if len(span.Attributes) != len(everyAttribute) {
				t.Fatalf("%d attributes, want %d", len(span.Attributes), len(everyAttribute))
			}
			for i, kv := range span.Attributes {
				if !proto.Equal(kv, want.Attributes[i]) {
					t.Errorf("attribute %s: got %v want %v", want.Attributes[i].Key, kv, want.Attributes[i])
				}
			}
			if !proto.Equal(span, want) {
				t.Errorf("span differs:\n got %v\nwant %v", span, want)
			}
		})
	}
}

// TestMarshalGroupsByResourceAndScope: spans of two resources and two scopes
// nest as OTLP wants, in order of first appearance.
func TestMarshalGroupsByResourceAndScope(t *testing.T) {
	resA := resource.NewSchemaless(attribute.String("service.name", "a"))
	resB := resource.NewSchemaless(attribute.String("service.name", "b"))
	mk := func(name string, res *resource.Resource, scope string) sdktrace.ReadOnlySpan {
		return tracetest.SpanStub{Name: name, Resource: res, InstrumentationScope: instrumentation.Scope{Name: scope}}.Snapshot()
	}
	spans := []sdktrace.ReadOnlySpan{mk("1", resA, "x"), mk("2", resB, "x"), mk("3", resA, "y"), mk("4", resA, "x")}
	for name, got := range map[string]*collectortrace.ExportTraceServiceRequest{
		"protobuf": decodeProto(t, otlphttp.MarshalProto(spans)),
		"json":     decodeJSON(t, otlphttp.MarshalJSON(spans)),
	} {
		var layout []string
		for _, rs := range got.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					layout = append(layout, rs.GetResource().GetAttributes()[0].GetValue().GetStringValue()+"/"+ss.GetScope().GetName()+"/"+s.GetName())
				}
			}
		}
		want := []string{"a/x/1", "a/x/4", "a/y/3", "b/x/2"}
		if len(layout) != len(want) {
			t.Fatalf("%s: layout %v want %v", name, layout, want)
		}
		for i := range want {
			if layout[i] != want[i] {
				t.Fatalf("%s: layout %v want %v", name, layout, want)
			}
		}
	}
}

// FuzzMarshal: whatever the strings, numbers and bytes of a span, both
// encodings decode with the official types to the reference mapping.
func FuzzMarshal(f *testing.F) {
	f.Add("name", "key", "value", int64(-1), 1.5, []byte{0, 1}, uint8(3), true)
	f.Add("", "", "", int64(0), 0.0, []byte{}, uint8(0), false)
	f.Add("\xff\x00\"\\", "k\u2028", "\U0001F600", int64(math.MinInt64), math.Copysign(0, -1), []byte("x"), uint8(255), true)
	f.Fuzz(func(t *testing.T, name, key, value string, i int64, d float64, b []byte, tflags uint8, errStatus bool) {
		if math.IsNaN(d) {
			d = 0 // NaN != NaN in proto.Equal; its encoding is covered by the JSON string form
		}
		stub := tracetest.SpanStub{
			Name:        name,
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.TraceFlags(tflags)}),
			SpanKind:    trace.SpanKind(tflags % 7),
			StartTime:   t0,
			EndTime:     t0.Add(time.Duration(tflags)),
			Attributes: []attribute.KeyValue{
				attribute.String(key, value), attribute.Int64("i", i), attribute.Float64("d", d), attribute.ByteSlice("b", b),
				attribute.Map("m", attribute.String(value, key)), attribute.StringSlice("ss", []string{name, value}),
			},
			Events:   []sdktrace.Event{{Name: value, Time: t0}},
			Resource: resource.NewSchemaless(attribute.String(key, name)),
		}
		if errStatus {
			stub.Status = sdktrace.Status{Code: codes.Error, Description: value}
		}
		// Invalid UTF-8 is sent as U+FFFD by both encodings (a receiver
		// rejects a protobuf string that is not UTF-8, and JSON cannot say it).
		valid := stub
		fix := func(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
		valid.Name = fix(name)
		valid.Attributes = []attribute.KeyValue{
			attribute.String(fix(key), fix(value)), attribute.Int64("i", i), attribute.Float64("d", d), attribute.ByteSlice("b", b),
			attribute.Map("m", attribute.String(fix(value), fix(key))), attribute.StringSlice("ss", []string{fix(name), fix(value)}),
		}
		valid.Events = []sdktrace.Event{{Name: fix(value), Time: t0}}
		valid.Status.Description = fix(stub.Status.Description)
		want := wantSpan(valid)
		if stub.SpanKind > trace.SpanKindConsumer {
			want.Kind = tracev1.Span_SPAN_KIND_UNSPECIFIED
		}
		spans := []sdktrace.ReadOnlySpan{stub.Snapshot()}
		for encName, got := range map[string]*collectortrace.ExportTraceServiceRequest{
			"protobuf": decodeProto(t, otlphttp.MarshalProto(spans)),
			"json":     decodeJSON(t, otlphttp.MarshalJSON(spans)),
		} {
			span := got.GetResourceSpans()[0].GetScopeSpans()[0].GetSpans()[0]
			if !proto.Equal(span, want) {
				t.Fatalf("%s:\n got %v\nwant %v", encName, span, want)
			}
		}
	})
}

// TestMarshalJSONSpecialDoubles: protojson spells NaN and the infinities as
// strings; a bare NaN would make the whole document invalid JSON.
func TestMarshalJSONSpecialDoubles(t *testing.T) {
	stub := tracetest.SpanStub{Name: "d", Attributes: []attribute.KeyValue{
		attribute.Float64("nan", math.NaN()), attribute.Float64("inf", math.Inf(1)), attribute.Float64("-inf", math.Inf(-1)),
	}}
	spans := []sdktrace.ReadOnlySpan{stub.Snapshot()}
	for name, got := range map[string]*collectortrace.ExportTraceServiceRequest{
		"protobuf": decodeProto(t, otlphttp.MarshalProto(spans)),
		"json":     decodeJSON(t, otlphttp.MarshalJSON(spans)),
	} {
		attrs := got.GetResourceSpans()[0].GetScopeSpans()[0].GetSpans()[0].GetAttributes()
		if len(attrs) != 3 || !math.IsNaN(attrs[0].GetValue().GetDoubleValue()) ||
			!math.IsInf(attrs[1].GetValue().GetDoubleValue(), 1) || !math.IsInf(attrs[2].GetValue().GetDoubleValue(), -1) {
			t.Errorf("%s: %v", name, attrs)
		}
	}
}
