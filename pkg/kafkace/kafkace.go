// Package kafkace is the CloudEvents Kafka protocol binding (spec v1.0.2)
// over a plain Record, so the Kafka publisher (pkg/bus/kafkabus), the
// Lambda adapter's MSK and self-managed Kafka trigger, and tests share one
// mapping without linking a Kafka client.
//
// Binary mode puts each context attribute in a header named ce_<attribute>
// (UTF-8 string values), datacontenttype in the content-type header and the
// data in the record value. Structured mode puts the whole event, in the
// JSON event format, in the value, with content-type
// application/cloudevents+json. The partitionkey extension is the record key
// both ways, so the events of one subject stay in one partition, in order.
//
// Decode tells the mode from the headers as the spec says: a content-type
// starting with application/cloudevents is structured, a ce_specversion
// header binary; anything else is not a CloudEvent (ErrNotCloudEvent). The
// functions are pure and safe for concurrent use.
package kafkace

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

// Mode is a content mode of the binding.
type Mode int

const (
	// Binary: attributes in ce_ headers, the data as the value. The default:
	// consumers can route on headers without parsing the value.
	Binary Mode = iota
	// Structured: the whole event as JSON in the value.
	Structured
)

// Header is one Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// Record is the part of a Kafka record the binding reads and writes.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   []Header
	Timestamp time.Time
}

// Header returns the value of the first header named key (case-insensitive,
// as the binding's header names are lower case but producers vary), and
// whether there was one.
func (r *Record) Header(key string) ([]byte, bool) {
	for _, h := range r.Headers {
		if strings.EqualFold(h.Key, key) {
			return h.Value, true
		}
	}
	return nil, false
}

const (
	prefix          = "ce_"
	contentType     = "content-type"
	structuredJSON  = "application/cloudevents+json; charset=UTF-8"
	structuredBase  = "application/cloudevents"
	partitionKeyExt = "partitionkey"
)

// ErrNotCloudEvent is a record that is neither structured (content-type
// application/cloudevents...) nor binary (a ce_specversion header).
var ErrNotCloudEvent = errors.New("kafkace: record is not a CloudEvent: no ce_specversion header and no application/cloudevents content-type")

// Encode maps ev to a record in the given mode (Topic, Partition and Offset
// are left for the producer). The event is not validated here: the bus
// validates before publishing.
func Encode(ev event.Event, mode Mode) (Record, error) {
	var rec Record
	if pk, ok := ev.Extensions()[partitionKeyExt]; ok {
		s, err := attrString(pk)
		if err != nil {
			return rec, fmt.Errorf("kafkace: partitionkey: %w", err)
		}
		rec.Key = []byte(s)
	}
	if mode == Structured {
		b, err := ev.MarshalJSON()
		if err != nil {
			return rec, fmt.Errorf("kafkace: encode structured: %w", err)
		}
		rec.Value = b
		rec.Headers = []Header{{Key: contentType, Value: []byte(structuredJSON)}}
		return rec, nil
	}
	h := make([]Header, 0, 8+len(ev.Extensions()))
	add := func(name, v string) {
		if v != "" {
			h = append(h, Header{Key: prefix + name, Value: []byte(v)})
		}
	}
	add("specversion", ev.SpecVersion())
	add("id", ev.ID())
	add("source", ev.Source())
	add("type", ev.Type())
	add("subject", ev.Subject())
	add("dataschema", ev.DataSchema())
	if !ev.Time().IsZero() {
		add("time", ev.Time().UTC().Format(time.RFC3339Nano))
	}
	for name, v := range ev.Extensions() {
		s, err := attrString(v)
		if err != nil {
			return rec, fmt.Errorf("kafkace: extension %s: %w", name, err)
		}
		add(name, s)
	}
	if ct := ev.DataContentType(); ct != "" {
		h = append(h, Header{Key: contentType, Value: []byte(ct)})
	}
	rec.Headers = h
	rec.Value = ev.Data()
	return rec, nil
}

// attrString is the canonical string form of an attribute value.
func attrString(v any) (string, error) {
	return types.Format(v)
}

// Decode maps a record to an event, in the mode its headers say. A record
// key becomes the partitionkey extension when the event has none.
func Decode(rec *Record) (event.Event, error) {
	ev := event.New()
	ct, hasCT := rec.Header(contentType)
	switch {
	case hasCT && bytes.HasPrefix(bytes.ToLower(bytes.TrimSpace(ct)), []byte(structuredBase)):
		if !bytes.HasPrefix(bytes.ToLower(bytes.TrimSpace(ct)), []byte(structuredBase+"+json")) {
			return ev, fmt.Errorf("kafkace: structured content-type %q: only the JSON event format is supported", ct)
		}
		if err := ev.UnmarshalJSON(rec.Value); err != nil {
			return ev, fmt.Errorf("kafkace: structured value: %w", err)
		}
	case hasHeader(rec, prefix+"specversion"):
		if err := decodeBinary(rec, &ev, ct, hasCT); err != nil {
			return ev, err
		}
	default:
		return ev, ErrNotCloudEvent
	}
	if len(rec.Key) > 0 {
		if _, ok := ev.Extensions()[partitionKeyExt]; !ok {
			ev.SetExtension(partitionKeyExt, string(rec.Key))
		}
	}
	return ev, nil
}

func hasHeader(rec *Record, key string) bool {
	_, ok := rec.Header(key)
	return ok
}

func decodeBinary(rec *Record, ev *event.Event, ct []byte, hasCT bool) error {
	for _, h := range rec.Headers {
		if len(h.Key) <= len(prefix) || !strings.EqualFold(h.Key[:len(prefix)], prefix) {
			continue
		}
		name := strings.ToLower(h.Key[len(prefix):])
		v := string(h.Value)
		switch name {
		case "specversion":
			if v != event.CloudEventsVersionV1 {
				return fmt.Errorf("kafkace: ce_specversion %q: only %s is supported", v, event.CloudEventsVersionV1)
			}
			ev.SetSpecVersion(v)
		case "id":
			ev.SetID(v)
		case "source":
			ev.SetSource(v)
		case "type":
			ev.SetType(v)
		case "subject":
			ev.SetSubject(v)
		case "dataschema":
			ev.SetDataSchema(v)
		case "time":
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return fmt.Errorf("kafkace: ce_time %q: %w", v, err)
			}
			ev.SetTime(t)
		case "datacontenttype":
			// Not a binding header (content-type carries it), but producers
			// that copy HTTP habits send it: accept it unless content-type is set.
			if !hasCT {
				ev.SetDataContentType(v)
			}
		default:
			if !event.IsExtensionNameValid(name) {
				return fmt.Errorf("kafkace: header %s: %q is not a valid extension attribute name (a-z, 0-9)", h.Key, name)
			}
			ev.SetExtension(name, v)
		}
	}
	if hasCT {
		ev.SetDataContentType(string(ct))
	}
	if rec.Value != nil {
		ev.DataEncoded = append([]byte(nil), rec.Value...)
	}
	return nil
}
