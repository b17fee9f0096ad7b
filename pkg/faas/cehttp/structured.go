package cehttp

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/event"
)

// appendStructured appends ev in structured mode to b, byte for byte what
// the sdk's event.WriteJson writes, and reports false (b unchanged) for an
// event it does not cover: a context other than v1.0, or an extension
// whose value is not a string, an integer or a boolean (the sdk's other
// extension types, written by jsoniter's reflection). WriteJson borrows a
// pooled jsoniter stream, and writing the data through it slides the
// stream's buffer forward, so the buffer it returns to the pool is too
// short for the next event and is grown again on every reply; times and
// the source are printed into fresh strings. This writes into b only.
func appendStructured(b []byte, ev *cloudevents.Event) ([]byte, bool) {
	ec, ok := ev.Context.(*event.EventContextV1)
	if !ok {
		return b, false
	}
	var small [8]string
	names := small[:0]
	for name, v := range ec.Extensions {
		switch v.(type) {
		case string, int32, bool:
		default:
			return b, false
		}
		names = append(names, name)
	}
	slices.Sort(names)

	b = append(b, `{"specversion":"`+event.CloudEventsVersionV1+`","id":`...)
	b = appendString(b, ec.ID)
	b = append(b, `,"source":`...)
	b = appendString(b, ec.Source.String())
	b = append(b, `,"type":`...)
	b = appendString(b, ec.Type)
	if ec.Subject != nil {
		b = append(b, `,"subject":`...)
		b = appendString(b, *ec.Subject)
	}
	if ec.DataContentType != nil {
		b = append(b, `,"datacontenttype":`...)
		b = appendString(b, *ec.DataContentType)
	}
	if ec.DataSchema != nil {
		b = append(b, `,"dataschema":`...)
		b = appendString(b, ec.DataSchema.String())
	}
	if ec.Time != nil {
		b = append(b, `,"time":"`...)
		b = ec.Time.UTC().AppendFormat(b, time.RFC3339Nano) // types.Timestamp.String, without the string
		b = append(b, '"')
	}
	if ev.DataEncoded != nil {
		switch {
		case isJSONMedia(ec.DataContentType) && !ev.DataBase64:
			b = append(b, `,"data":`...)
			b = append(b, ev.DataEncoded...)
		case ev.DataBase64:
			b = append(b, `,"data_base64":"`...)
			b = base64.StdEncoding.AppendEncode(b, ev.DataEncoded)
			b = append(b, '"')
		default:
			b = append(b, `,"data":`...)
			b = appendString(b, string(ev.DataEncoded))
		}
	}
	for _, name := range names {
		b = append(b, ',')
		b = appendString(b, name)
		b = append(b, ':')
		switch v := ec.Extensions[name].(type) {
		case string:
			b = appendString(b, v)
		case int32:
			b = strconv.AppendInt(b, int64(v), 10)
		case bool:
			b = strconv.AppendBool(b, v)
		}
	}
	return append(b, '}'), true
}

// isJSONMedia is WriteJson's test for data written as JSON rather than as
// a string: no content type, or a JSON media type.
func isJSONMedia(ct *string) bool {
	if ct == nil {
		return true
	}
	mt, _, _ := strings.Cut(*ct, ";")
	switch strings.ToLower(strings.TrimSpace(mt)) {
	case event.ApplicationJSON, event.TextJSON, event.ApplicationCloudEventsJSON, event.ApplicationCloudEventsBatchJSON, "":
		return true
	}
	return false
}

// appendString appends s as a JSON string the way jsoniter's fastest
// configuration does: quotes and backslashes escaped, \n \r \t by name,
// other control characters as \u00XX, everything else as is.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > 31 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
