package cehttp

import (
	"bytes"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

// sdkStructured is what the sdk writes for ev.
func sdkStructured(t testing.TB, ev *cloudevents.Event) []byte {
	t.Helper()
	var want bytes.Buffer
	if err := event.WriteJson(ev, &want); err != nil {
		t.Fatal(err)
	}
	return want.Bytes()
}

// appendStructured writes what the sdk's writer writes, byte for byte, for
// every event it covers, and declines the others.
func TestAppendStructuredMatchesSDK(t *testing.T) {
	base := func(mutate func(*cloudevents.Event)) cloudevents.Event {
		ev := cloudevents.NewEvent()
		ev.SetID("id-1")
		ev.SetSource("/cogniforge/functions/x")
		ev.SetType("dev.cogniforge.gateway.accepted.v1")
		mutate(&ev)
		return ev
	}
	tests := []struct {
		name    string
		ev      cloudevents.Event
		covered bool
	}{
		{"bare", base(func(*cloudevents.Event) {}), true},
		{"the gateway's acknowledgement", base(func(ev *cloudevents.Event) {
			ev.SetTime(time.Date(2026, 12, 2, 15, 4, 5, 123456789, time.FixedZone("x", 3600)))
			_ = ev.SetData(cloudevents.ApplicationJSON, map[string]string{"eventId": "g-1", "eventType": "t"})
			ev.SetExtension("correlationid", "g-1")
			ev.SetExtension("causationid", "g-1")
			ev.SetExtension("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		}), true},
		{"every attribute", base(func(ev *cloudevents.Event) {
			ev.SetSubject("orders/7")
			ev.SetDataSchema("https://schemas.example/x.json")
			ev.SetTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
			ev.SetDataContentType("application/json; charset=utf-8")
			ev.DataEncoded = []byte(`{"a": [1, 2]}`)
		}), true},
		{"escapes", base(func(ev *cloudevents.Event) {
			ev.SetID("q\"uote\\back\nline\rret\ttab\x01ctl\x1f<&>é")
			ev.SetSubject("\u2028sep")
			ev.SetExtension("note", "a\"b")
		}), true},
		{"text data", base(func(ev *cloudevents.Event) {
			ev.SetDataContentType("text/plain")
			ev.DataEncoded = []byte("say \"hi\"\n")
		}), true},
		{"upper-case JSON media type", base(func(ev *cloudevents.Event) {
			ev.SetDataContentType(" Application/JSON ;x=y")
			ev.DataEncoded = []byte(`[1]`)
		}), true},
		{"base64 data", base(func(ev *cloudevents.Event) {
			ev.DataEncoded, ev.DataBase64 = []byte{0, 1, 2, 0xff}, true
		}), true},
		{"empty data", base(func(ev *cloudevents.Event) { ev.DataEncoded = []byte{} }), true},
		{"no content type, JSON data", base(func(ev *cloudevents.Event) { ev.DataEncoded = []byte(`{"a":1}`) }), true},
		{"integer and boolean extensions", base(func(ev *cloudevents.Event) {
			ev.SetExtension("count", 42)
			ev.SetExtension("negative", -7)
			ev.SetExtension("flag", true)
			ev.SetExtension("off", false)
		}), true},
		{"nine extensions", base(func(ev *cloudevents.Event) {
			for _, n := range []string{"i", "h", "g", "f", "e", "d", "c", "b", "a"} {
				ev.SetExtension(n, n)
			}
		}), true},
		{"a timestamp extension", base(func(ev *cloudevents.Event) { ev.SetExtension("when", time.Unix(0, 0)) }), false},
		{"a URI extension", base(func(ev *cloudevents.Event) { ev.SetExtension("where", types.ParseURI("https://x")) }), false},
		{"a bytes extension", base(func(ev *cloudevents.Event) { ev.SetExtension("raw", []byte{1, 2}) }), false},
		{"v0.3", func() cloudevents.Event {
			ev := cloudevents.NewEvent(cloudevents.VersionV03)
			ev.SetID("a")
			ev.SetSource("/s")
			ev.SetType("t")
			return ev
		}(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("kept:")
			got, ok := appendStructured(prefix, &tt.ev)
			if ok != tt.covered {
				t.Fatalf("covered = %v, want %v", ok, tt.covered)
			}
			if !ok {
				if string(got) != "kept:" {
					t.Errorf("declined but wrote %q", got)
				}
				return
			}
			if want := "kept:" + string(sdkStructured(t, &tt.ev)); string(got) != want {
				t.Errorf("wrote\n%s\nsdk writes\n%s", got, want)
			}
		})
	}
}

// FuzzAppendStructured holds appendStructured to the sdk's bytes for any
// attribute, extension and data text.
func FuzzAppendStructured(f *testing.F) {
	f.Add("id", "subject", "value", []byte(`{"a":1}`), "application/json", false)
	f.Add("i\"d\n", "s\x00", "v\\", []byte("text"), "text/plain", false)
	f.Add("id", "", "", []byte{0, 255}, "", true)
	f.Fuzz(func(t *testing.T, id, subject, ext string, data []byte, ct string, base64 bool) {
		ev := cloudevents.NewEvent()
		ev.SetID(id)
		ev.SetSource("/s")
		ev.SetType("t")
		ev.SetSubject(subject)
		ev.SetExtension("ext", ext)
		ev.SetDataContentType(ct)
		ev.DataEncoded, ev.DataBase64 = data, base64
		if rawDataIsJSON(&ev) != nil {
			return // refused before either writer runs
		}
		got, ok := appendStructured(nil, &ev)
		if !ok {
			t.Fatal("declined a v1.0 event with a string extension")
		}
		if want := sdkStructured(t, &ev); !bytes.Equal(got, want) {
			t.Fatalf("wrote\n%q\nsdk writes\n%q", got, want)
		}
	})
}
