package otlphttp

import (
	"encoding/base64"
	"encoding/hex"
	"math"
	"strconv"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// MarshalJSON encodes spans as an OTLP ExportTraceServiceRequest in OTLP
// JSON (the body of an http/json export): protobuf's JSON mapping with
// lowerCamelCase names, enums as numbers, 64-bit integers as strings, bytes
// in base64, except that trace and span ids are hex, as the OTLP
// specification requires. Zero values are omitted, as protojson does.
func MarshalJSON(spans []sdktrace.ReadOnlySpan) []byte {
	j := &jbuf{b: make([]byte, 0, 1024*len(spans)+256)}
	j.b = append(j.b, `{"resourceSpans":[`...)
	for i, rg := range groupSpans(spans) {
		j.sep(i)
		j.b = append(j.b, `{"resource":{`...)
		j.attrs("attributes", rg.res.Attributes(), true)
		j.b = append(j.b, `},"scopeSpans":[`...)
		for k, sg := range rg.scopes {
			j.sep(k)
			j.b = append(j.b, `{"scope":{`...)
			j.field("name", sg.scope.Name)
			j.field("version", sg.scope.Version)
			j.attrs("attributes", sg.scope.Attributes.ToSlice(), false)
			j.b = append(j.b, `},"spans":[`...)
			for n, s := range sg.spans {
				j.sep(n)
				j.span(s)
			}
			j.b = append(j.b, ']')
			j.field("schemaUrl", sg.scope.SchemaURL)
			j.b = append(j.b, '}')
		}
		j.b = append(j.b, ']')
		j.field("schemaUrl", rg.res.SchemaURL())
		j.b = append(j.b, '}')
	}
	j.b = append(j.b, "]}"...)
	return j.b
}

type jbuf struct{ b []byte }

func (j *jbuf) sep(i int) {
	if i > 0 {
		j.b = append(j.b, ',')
	}
}

// key writes "name": preceded by a comma unless it opens its object, so
// that any field may be omitted, the first included.
func (j *jbuf) key(name string) {
	if n := len(j.b); n > 0 && j.b[n-1] != '{' {
		j.b = append(j.b, ',')
	}
	j.b = append(j.b, '"')
	j.b = append(j.b, name...)
	j.b = append(j.b, `":`...)
}

// field writes a string field, omitted when empty.
func (j *jbuf) field(name, v string) {
	if v == "" {
		return
	}
	j.key(name)
	j.str(v)
}

func (j *jbuf) uint(name string, v uint64) {
	if v == 0 {
		return
	}
	j.key(name)
	j.b = strconv.AppendUint(j.b, v, 10)
}

// nanos writes a fixed64 the protojson way: a decimal string.
func (j *jbuf) nanos(name string, v uint64) {
	if v == 0 {
		return
	}
	j.key(name)
	j.b = append(j.b, '"')
	j.b = strconv.AppendUint(j.b, v, 10)
	j.b = append(j.b, '"')
}

func (j *jbuf) id(name string, b []byte) {
	j.key(name)
	j.b = append(j.b, '"')
	j.b = hex.AppendEncode(j.b, b)
	j.b = append(j.b, '"')
}

func (j *jbuf) span(s sdktrace.ReadOnlySpan) {
	sc := s.SpanContext()
	tid, sid := sc.TraceID(), sc.SpanID()
	j.b = append(j.b, '{')
	j.key("traceId")
	j.b = append(j.b, '"')
	j.b = hex.AppendEncode(j.b, tid[:])
	j.b = append(j.b, '"')
	j.id("spanId", sid[:])
	j.field("traceState", sc.TraceState().String())
	if parent := s.Parent(); parent.SpanID().IsValid() {
		psid := parent.SpanID()
		j.id("parentSpanId", psid[:])
	}
	j.uint("flags", uint64(spanFlags(sc.TraceFlags(), s.Parent().IsRemote())))
	j.field("name", s.Name())
	j.uint("kind", uint64(spanKind(s.SpanKind())))
	j.nanos("startTimeUnixNano", unixNano(s.StartTime()))
	j.nanos("endTimeUnixNano", unixNano(s.EndTime()))
	j.attrs("attributes", s.Attributes(), false)
	j.uint("droppedAttributesCount", uint64(s.DroppedAttributes()))
	if events := s.Events(); len(events) > 0 {
		j.key("events")
		j.b = append(j.b, '[')
		for i, e := range events {
			j.sep(i)
			j.b = append(j.b, `{"name":`...)
			j.str(e.Name)
			j.nanos("timeUnixNano", unixNano(e.Time))
			j.attrs("attributes", e.Attributes, false)
			j.uint("droppedAttributesCount", uint64(e.DroppedAttributeCount))
			j.b = append(j.b, '}')
		}
		j.b = append(j.b, ']')
	}
	j.uint("droppedEventsCount", uint64(s.DroppedEvents()))
	if links := s.Links(); len(links) > 0 {
		j.key("links")
		j.b = append(j.b, '[')
		for i, l := range links {
			j.sep(i)
			ltid, lsid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
			j.b = append(j.b, '{')
			j.key("traceId")
			j.b = append(j.b, '"')
			j.b = hex.AppendEncode(j.b, ltid[:])
			j.b = append(j.b, '"')
			j.id("spanId", lsid[:])
			j.field("traceState", l.SpanContext.TraceState().String())
			j.attrs("attributes", l.Attributes, false)
			j.uint("droppedAttributesCount", uint64(l.DroppedAttributeCount))
			j.uint("flags", uint64(spanFlags(l.SpanContext.TraceFlags(), l.SpanContext.IsRemote())))
			j.b = append(j.b, '}')
		}
		j.b = append(j.b, ']')
	}
	j.uint("droppedLinksCount", uint64(s.DroppedLinks()))
	code, msg := status(s.Status())
	j.key("status")
	j.b = append(j.b, '{')
	if code != statusUnset {
		j.key("code")
		j.b = strconv.AppendInt(j.b, int64(code), 10)
		j.field("message", msg)
	}
	j.b = append(j.b, "}}"...)
}

// attrs writes a KeyValue list, omitted when empty unless always.
func (j *jbuf) attrs(name string, kvs []attribute.KeyValue, always bool) {
	if len(kvs) == 0 && !always {
		return
	}
	j.key(name)
	j.kvList(kvs)
}

func (j *jbuf) kvList(kvs []attribute.KeyValue) {
	j.b = append(j.b, '[')
	for i, kv := range kvs {
		j.sep(i)
		j.b = append(j.b, `{"key":`...)
		j.str(string(kv.Key))
		j.b = append(j.b, `,"value":`...)
		j.anyValue(kv.Value)
		j.b = append(j.b, '}')
	}
	j.b = append(j.b, ']')
}

func (j *jbuf) anyValue(v attribute.Value) {
	j.b = append(j.b, '{')
	switch v.Type() {
	case attribute.BOOL:
		j.b = append(j.b, `"boolValue":`...)
		j.b = strconv.AppendBool(j.b, v.AsBool())
	case attribute.INT64:
		j.b = append(j.b, `"intValue":"`...)
		j.b = strconv.AppendInt(j.b, v.AsInt64(), 10)
		j.b = append(j.b, '"')
	case attribute.FLOAT64:
		j.b = append(j.b, `"doubleValue":`...)
		j.double(v.AsFloat64())
	case attribute.STRING:
		j.b = append(j.b, `"stringValue":`...)
		j.str(v.AsString())
	case attribute.BYTESLICE:
		j.b = append(j.b, `"bytesValue":"`...)
		j.b = base64.StdEncoding.AppendEncode(j.b, v.AsByteSlice())
		j.b = append(j.b, '"')
	case attribute.BOOLSLICE, attribute.INT64SLICE, attribute.FLOAT64SLICE, attribute.STRINGSLICE, attribute.SLICE:
		j.b = append(j.b, `"arrayValue":{"values":[`...)
		for i, e := range sliceValues(v) {
			j.sep(i)
			j.anyValue(e)
		}
		j.b = append(j.b, "]}"...)
	case attribute.MAP:
		j.b = append(j.b, `"kvlistValue":{"values":`...)
		j.kvList(v.AsMap())
		j.b = append(j.b, '}')
	}
	j.b = append(j.b, '}')
}

// double writes a float as protojson does: NaN and the infinities as strings.
func (j *jbuf) double(f float64) {
	switch {
	case math.IsNaN(f):
		j.b = append(j.b, `"NaN"`...)
	case math.IsInf(f, 1):
		j.b = append(j.b, `"Infinity"`...)
	case math.IsInf(f, -1):
		j.b = append(j.b, `"-Infinity"`...)
	default:
		j.b = strconv.AppendFloat(j.b, f, 'g', -1, 64)
	}
}

// str writes a JSON string; invalid UTF-8 becomes U+FFFD (as in the
// protobuf encoding) so the document stays valid.
func (j *jbuf) str(s string) {
	const hexDigits = "0123456789abcdef"
	s = validUTF8(s)
	j.b = append(j.b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				j.b = append(j.b, '\\', c)
			case c < 0x20:
				j.b = append(j.b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			default:
				j.b = append(j.b, c)
			}
			i++
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		j.b = append(j.b, s[i:i+size]...)
		i += size
	}
	j.b = append(j.b, '"')
}
