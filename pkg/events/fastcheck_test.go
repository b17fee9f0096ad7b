package events

import (
	"io/fs"
	"testing"

	eventfiles "github.com/cogniforge/cogniforge/events"
)

// TestFastPathCoversCatalog keeps every schema of the catalog on the fast
// path: a schema that falls back to the full validator costs several µs.
func TestFastPathCoversCatalog(t *testing.T) {
	c, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for typ, e := range c.entries {
		if e.fast == nil {
			t.Errorf("%s: schema uses keywords the fast checker does not implement", typ)
		}
	}
}

func TestFastCheckEdgeCases(t *testing.T) {
	c, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	e := c.entries[TypeRequestCompleted]
	tests := []struct {
		data string
		want fastResult
	}{
		{`{"service":"a","operation":"b","status":"ok","durationMs":1}`, fastValid},
		{` {"service":"a","operation":"b","status":"ok","durationMs":1e2} `, fastValid},
		{`{"service":"\u0061","operation":"b","status":"\u006fk","durationMs":0}`, fastValid},
		{`{"serv\u0069ce":"a","operation":"b","status":"ok","durationMs":0}`, fastValid},
		{`{"service":"a","operation":"b","status":"ok","durationMs":1,"httpStatus":200.0}`, fastValid},
		{`{"service":"a","operation":"b","status":"ok","durationMs":1,"httpStatus":200.5}`, fastInvalid},
		{`{"service":"a","operation":"b","status":"ok","durationMs":1e400}`, fastInvalid},
		{`{"service":"a","operation":"b","status":"ok","durationMs":01}`, fastInvalid},
		{`{"service":"a","operation":"b","status":"ok","durationMs":-0.0001}`, fastInvalid},
		{`{"service":"","operation":"b","status":"ok","durationMs":1}`, fastInvalid},
		{`{"service":"a","operation":"b","status":"ok","durationMs":1} x`, fastInvalid},
		{`{"service":"a","operation":"b","status":"ok","status":"ok","durationMs":1}`, fastDuplicate},
		{`{"service":"a\x01","operation":"b","status":"ok","durationMs":1}`, fastInvalid},
		{`{"service":"a","operation":"b","status":"ok","durationMs":1,"timestamp":"2026-11-23T14:00:00Z"}`, fastValid},
		{`{"service":"a","operation":"b","status":"ok","durationMs":1,"timestamp":"2026-13-23T14:00:00Z"}`, fastInvalid},
		{`null`, fastInvalid},
		{``, fastInvalid},
	}
	for _, tt := range tests {
		got := e.fast.check([]byte(tt.data))
		if got != tt.want {
			t.Errorf("check(%s) = %d, want %d", tt.data, got, tt.want)
		}
		if tt.want != fastDuplicate {
			if slowValid := len(describe(e.schema, []byte(tt.data))) == 0; slowValid != (got == fastValid) {
				t.Errorf("check(%s) = %d but jsonschema says valid=%v", tt.data, got, slowValid)
			}
		}
	}
}

// FuzzFastMatchesJSONSchema is the differential test: for any data and any
// catalog type, the fast checker and jsonschema agree on validity (except
// for properties given twice, which only the fast checker refuses).
func FuzzFastMatchesJSONSchema(f *testing.F) {
	c, err := NewCatalog()
	if err != nil {
		f.Fatal(err)
	}
	names, _ := fs.Glob(eventfiles.Files, eventfiles.ExamplesDir+"/*.json")
	for _, n := range names {
		b, _ := fs.ReadFile(eventfiles.Files, n)
		ev, err := Decode(b)
		if err != nil {
			f.Fatal(err)
		}
		for i := range c.types {
			f.Add(uint8(i), ev.Data())
		}
	}
	f.Add(uint8(0), []byte(`{"eventId":"\ud800","eventType":"x"}`))
	f.Add(uint8(1), []byte(`{"service":"a","operation":"b","status":"ok","durationMs":1,"httpStatus":599.0000000000001}`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		typ := c.types[int(which)%len(c.types)]
		e := c.entries[typ]
		fast := e.fast.check(data)
		slow := describe(e.schema, data)
		if fast == fastDuplicate {
			return
		}
		if (fast == fastValid) != (len(slow) == 0) {
			t.Fatalf("%s: fast valid=%v, jsonschema problems=%v for %q", typ, fast == fastValid, slow, data)
		}
	})
}
