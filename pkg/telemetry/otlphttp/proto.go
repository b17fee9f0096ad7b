package otlphttp

import (
	"encoding/binary"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Field numbers of the OTLP messages this package writes, from
// opentelemetry-proto: collector/trace/v1/trace_service.proto,
// trace/v1/trace.proto, common/v1/common.proto, resource/v1/resource.proto.
// The test decodes what we write with the generated Go types of those files,
// so a wrong number here fails it.
const (
	// ExportTraceServiceRequest
	fRequestResourceSpans = 1
	// ResourceSpans
	fResourceSpansResource  = 1
	fResourceSpansScopes    = 2
	fResourceSpansSchemaURL = 3
	// Resource
	fResourceAttributes = 1
	// ScopeSpans
	fScopeSpansScope     = 1
	fScopeSpansSpans     = 2
	fScopeSpansSchemaURL = 3
	// InstrumentationScope
	fScopeName       = 1
	fScopeVersion    = 2
	fScopeAttributes = 3
	// Span
	fSpanTraceID           = 1
	fSpanSpanID            = 2
	fSpanTraceState        = 3
	fSpanParentSpanID      = 4
	fSpanName              = 5
	fSpanKind              = 6
	fSpanStart             = 7
	fSpanEnd               = 8
	fSpanAttributes        = 9
	fSpanDroppedAttributes = 10
	fSpanEvents            = 11
	fSpanDroppedEvents     = 12
	fSpanLinks             = 13
	fSpanDroppedLinks      = 14
	fSpanStatus            = 15
	fSpanFlags             = 16
	// Span.Event
	fEventTime              = 1
	fEventName              = 2
	fEventAttributes        = 3
	fEventDroppedAttributes = 4
	// Span.Link
	fLinkTraceID           = 1
	fLinkSpanID            = 2
	fLinkTraceState        = 3
	fLinkAttributes        = 4
	fLinkDroppedAttributes = 5
	fLinkFlags             = 6
	// Status (field 1 is reserved)
	fStatusMessage = 2
	fStatusCode    = 3
	// KeyValue
	fKVKey   = 1
	fKVValue = 2
	// AnyValue (a oneof: a set member is written even when it is zero)
	fAnyString = 1
	fAnyBool   = 2
	fAnyInt    = 3
	fAnyDouble = 4
	fAnyArray  = 5
	fAnyKVList = 6
	fAnyBytes  = 7
	// ArrayValue and KeyValueList
	fListValues = 1
)

// Protobuf wire types.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

// Span flags bits (trace.proto SpanFlags): the low 8 bits are the W3C trace
// flags; these two say whether the parent (or linked span) is remote.
const (
	flagHasIsRemote = 0x100
	flagIsRemote    = 0x200
)

// OTLP status codes: not the numbers of go.opentelemetry.io/otel/codes
// (there Error is 1 and Ok 2).
const (
	statusUnset = 0
	statusOK    = 1
	statusError = 2
)

// pbuf appends protobuf wire encoding to a byte slice. Nested messages are
// written in place and their length prefix inserted afterwards, so one
// buffer serves the whole request.
type pbuf struct{ b []byte }

func (p *pbuf) tag(field, wire int) { p.b = binary.AppendUvarint(p.b, uint64(field)<<3|uint64(wire)) }

func (p *pbuf) uvarint(field int, v uint64) {
	if v == 0 {
		return
	}
	p.tag(field, wireVarint)
	p.b = binary.AppendUvarint(p.b, v)
}

func (p *pbuf) fixed64(field int, v uint64) {
	if v == 0 {
		return
	}
	p.tag(field, wireFixed64)
	p.b = binary.LittleEndian.AppendUint64(p.b, v)
}

func (p *pbuf) fixed32(field int, v uint32) {
	if v == 0 {
		return
	}
	p.tag(field, wireFixed32)
	p.b = binary.LittleEndian.AppendUint32(p.b, v)
}

// bytes writes a length-delimited field; empty values are omitted like any
// proto3 default (use bytesAlways inside a oneof).
func (p *pbuf) bytes(field int, v []byte) {
	if len(v) == 0 {
		return
	}
	p.bytesAlways(field, v)
}

func (p *pbuf) bytesAlways(field int, v []byte) {
	p.tag(field, wireBytes)
	p.b = binary.AppendUvarint(p.b, uint64(len(v)))
	p.b = append(p.b, v...)
}

func (p *pbuf) str(field int, v string) {
	if v == "" {
		return
	}
	p.strAlways(field, v)
}

func (p *pbuf) strAlways(field int, v string) {
	v = validUTF8(v)
	p.tag(field, wireBytes)
	p.b = binary.AppendUvarint(p.b, uint64(len(v)))
	p.b = append(p.b, v...)
}

// msg writes the message body appended by fill as a length-delimited field,
// even when empty (an empty AnyValue still says "a value is present").
func (p *pbuf) msg(field int, fill func()) {
	p.tag(field, wireBytes)
	start := len(p.b)
	fill()
	n := len(p.b) - start
	var lenBuf [binary.MaxVarintLen64]byte
	l := binary.PutUvarint(lenBuf[:], uint64(n))
	// Make room for the length before the body.
	p.b = append(p.b, lenBuf[:l]...)
	copy(p.b[start+l:], p.b[start:start+n])
	copy(p.b[start:], lenBuf[:l])
}

// MarshalProto encodes spans as an OTLP ExportTraceServiceRequest in the
// protobuf binary format (the body of an http/protobuf export).
func MarshalProto(spans []sdktrace.ReadOnlySpan) []byte {
	p := &pbuf{b: make([]byte, 0, 512*len(spans)+256)}
	for _, rg := range groupSpans(spans) {
		p.msg(fRequestResourceSpans, func() {
			p.msg(fResourceSpansResource, func() { p.attrs(fResourceAttributes, rg.res.Attributes()) })
			for _, sg := range rg.scopes {
				p.msg(fResourceSpansScopes, func() {
					p.msg(fScopeSpansScope, func() {
						p.str(fScopeName, sg.scope.Name)
						p.str(fScopeVersion, sg.scope.Version)
						p.attrs(fScopeAttributes, sg.scope.Attributes.ToSlice())
					})
					for _, s := range sg.spans {
						p.msg(fScopeSpansSpans, func() { p.span(s) })
					}
					p.str(fScopeSpansSchemaURL, sg.scope.SchemaURL)
				})
			}
			p.str(fResourceSpansSchemaURL, rg.res.SchemaURL())
		})
	}
	return p.b
}

func (p *pbuf) span(s sdktrace.ReadOnlySpan) {
	sc := s.SpanContext()
	tid, sid := sc.TraceID(), sc.SpanID()
	p.bytes(fSpanTraceID, tid[:])
	p.bytes(fSpanSpanID, sid[:])
	p.str(fSpanTraceState, sc.TraceState().String())
	if parent := s.Parent(); parent.SpanID().IsValid() {
		psid := parent.SpanID()
		p.bytes(fSpanParentSpanID, psid[:])
	}
	p.str(fSpanName, s.Name())
	p.uvarint(fSpanKind, uint64(spanKind(s.SpanKind())))
	p.fixed64(fSpanStart, unixNano(s.StartTime()))
	p.fixed64(fSpanEnd, unixNano(s.EndTime()))
	p.attrs(fSpanAttributes, s.Attributes())
	p.uvarint(fSpanDroppedAttributes, uint64(s.DroppedAttributes()))
	for _, e := range s.Events() {
		p.msg(fSpanEvents, func() {
			p.fixed64(fEventTime, unixNano(e.Time))
			p.str(fEventName, e.Name)
			p.attrs(fEventAttributes, e.Attributes)
			p.uvarint(fEventDroppedAttributes, uint64(e.DroppedAttributeCount))
		})
	}
	p.uvarint(fSpanDroppedEvents, uint64(s.DroppedEvents()))
	for _, l := range s.Links() {
		p.msg(fSpanLinks, func() {
			ltid, lsid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
			p.bytes(fLinkTraceID, ltid[:])
			p.bytes(fLinkSpanID, lsid[:])
			p.str(fLinkTraceState, l.SpanContext.TraceState().String())
			p.attrs(fLinkAttributes, l.Attributes)
			p.uvarint(fLinkDroppedAttributes, uint64(l.DroppedAttributeCount))
			p.fixed32(fLinkFlags, spanFlags(l.SpanContext.TraceFlags(), l.SpanContext.IsRemote()))
		})
	}
	p.uvarint(fSpanDroppedLinks, uint64(s.DroppedLinks()))
	code, msg := status(s.Status())
	p.msg(fSpanStatus, func() {
		p.str(fStatusMessage, msg)
		p.uvarint(fStatusCode, uint64(code))
	})
	p.fixed32(fSpanFlags, spanFlags(sc.TraceFlags(), s.Parent().IsRemote()))
}

func (p *pbuf) attrs(field int, kvs []attribute.KeyValue) {
	for _, kv := range kvs {
		p.msg(field, func() { p.keyValue(string(kv.Key), kv.Value) })
	}
}

func (p *pbuf) keyValue(key string, v attribute.Value) {
	p.str(fKVKey, key)
	p.msg(fKVValue, func() { p.anyValue(v) })
}

// anyValue writes the body of an AnyValue. An EMPTY attribute value is an
// AnyValue with no member set, as OTLP spells "empty".
func (p *pbuf) anyValue(v attribute.Value) {
	switch v.Type() {
	case attribute.BOOL:
		p.tag(fAnyBool, wireVarint)
		p.b = binary.AppendUvarint(p.b, b2u(v.AsBool()))
	case attribute.INT64:
		p.tag(fAnyInt, wireVarint)
		p.b = binary.AppendUvarint(p.b, uint64(v.AsInt64()))
	case attribute.FLOAT64:
		p.tag(fAnyDouble, wireFixed64)
		p.b = binary.LittleEndian.AppendUint64(p.b, math.Float64bits(v.AsFloat64()))
	case attribute.STRING:
		p.strAlways(fAnyString, v.AsString())
	case attribute.BYTESLICE:
		p.bytesAlways(fAnyBytes, v.AsByteSlice())
	case attribute.BOOLSLICE, attribute.INT64SLICE, attribute.FLOAT64SLICE, attribute.STRINGSLICE, attribute.SLICE:
		p.msg(fAnyArray, func() {
			for _, e := range sliceValues(v) {
				p.msg(fListValues, func() { p.anyValue(e) })
			}
		})
	case attribute.MAP:
		p.msg(fAnyKVList, func() {
			for _, kv := range v.AsMap() {
				p.msg(fListValues, func() { p.keyValue(string(kv.Key), kv.Value) })
			}
		})
	}
}

// sliceValues returns the elements of any slice-typed attribute value.
func sliceValues(v attribute.Value) []attribute.Value {
	var out []attribute.Value
	switch v.Type() {
	case attribute.BOOLSLICE:
		for _, e := range v.AsBoolSlice() {
			out = append(out, attribute.BoolValue(e))
		}
	case attribute.INT64SLICE:
		for _, e := range v.AsInt64Slice() {
			out = append(out, attribute.Int64Value(e))
		}
	case attribute.FLOAT64SLICE:
		for _, e := range v.AsFloat64Slice() {
			out = append(out, attribute.Float64Value(e))
		}
	case attribute.STRINGSLICE:
		for _, e := range v.AsStringSlice() {
			out = append(out, attribute.StringValue(e))
		}
	case attribute.SLICE:
		out = v.AsSlice()
	}
	return out
}

// validUTF8 replaces each run of invalid bytes with U+FFFD. A protobuf
// string must be UTF-8: a receiver rejects the whole request otherwise, and
// one bad attribute must not lose a batch of spans.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func unixNano(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.UnixNano())
}

// spanKind maps the API kind to OTLP's enum, whose numbers happen to agree;
// anything unknown is UNSPECIFIED rather than a number a collector rejects.
func spanKind(k trace.SpanKind) int {
	if k >= trace.SpanKindInternal && k <= trace.SpanKindConsumer {
		return int(k)
	}
	return 0
}

func spanFlags(tf trace.TraceFlags, remote bool) uint32 {
	f := uint32(tf) | flagHasIsRemote
	if remote {
		f |= flagIsRemote
	}
	return f
}

func status(s sdktrace.Status) (code int, msg string) {
	switch s.Code {
	case codes.Error:
		return statusError, s.Description
	case codes.Ok:
		return statusOK, ""
	}
	return statusUnset, ""
}

// resourceGroup and scopeGroup arrange a batch as OTLP nests it: spans under
// their instrumentation scope under their resource. Order of first
// appearance is kept so an encoding is deterministic.
type resourceGroup struct {
	res    *resource.Resource
	scopes []*scopeGroup
}

type scopeGroup struct {
	scope instrumentation.Scope
	spans []sdktrace.ReadOnlySpan
}

type scopeKey struct {
	name, version, schema string
	attrs                 attribute.Distinct
}

func groupSpans(spans []sdktrace.ReadOnlySpan) []*resourceGroup {
	var out []*resourceGroup
	byRes := map[attribute.Distinct]*resourceGroup{}
	byScope := map[attribute.Distinct]map[scopeKey]*scopeGroup{}
	for _, s := range spans {
		if s == nil {
			continue
		}
		res := s.Resource()
		if res == nil {
			res = resource.Empty()
		}
		rk := res.Equivalent()
		rg, ok := byRes[rk]
		if !ok {
			rg = &resourceGroup{res: res}
			byRes[rk] = rg
			byScope[rk] = map[scopeKey]*scopeGroup{}
			out = append(out, rg)
		}
		sc := s.InstrumentationScope()
		sk := scopeKey{sc.Name, sc.Version, sc.SchemaURL, sc.Attributes.Equivalent()}
		sg, ok := byScope[rk][sk]
		if !ok {
			sg = &scopeGroup{scope: sc}
			byScope[rk][sk] = sg
			rg.scopes = append(rg.scopes, sg)
		}
		sg.spans = append(sg.spans, s)
	}
	return out
}
