package events

import (
	"encoding/json"
	"io/fs"
	"testing"

	eventfiles "github.com/cogniforge/cogniforge/events"
)

func TestFastCheckEdgeCases(t *testing.T) {
	c, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	ref := referenceSchemas(t, c)
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
		if tt.want == fastDuplicate {
			continue
		}
		native := describe(e.fast, []byte(tt.data))
		if (len(native) == 0) != (got == fastValid) {
			t.Errorf("check(%s) = %d but describe gives %v", tt.data, got, native)
		}
		if want := referenceDescribe(ref[TypeRequestCompleted], []byte(tt.data)); !sameProblems(native, want) {
			t.Errorf("describe(%s) = %v, jsonschema %v", tt.data, native, want)
		}
	}
}

// FuzzNativeMatchesJSONSchema is the differential test: for any data and
// any type (the catalog's and kitchenSink, which uses every supported
// keyword), the fast checker, describe and jsonschema agree on validity,
// and describe and jsonschema give the same fields with the same messages
// (except for properties given twice, which only the fast checker refuses).
func FuzzNativeMatchesJSONSchema(f *testing.F) {
	c, err := NewCatalog()
	if err != nil {
		f.Fatal(err)
	}
	sink := kitchenSinkCatalog(f)
	type target struct {
		typ string
		e   *entry
		ref func([]byte) []FieldError
	}
	var targets []target
	for _, cat := range []*Catalog{c, sink} {
		ref := referenceSchemas(f, cat)
		for _, typ := range cat.types {
			s := ref[typ]
			targets = append(targets, target{typ, cat.entries[typ], func(b []byte) []FieldError { return referenceDescribe(s, b) }})
		}
	}
	names, _ := fs.Glob(eventfiles.Files, eventfiles.ExamplesDir+"/*.json")
	for _, n := range names {
		b, _ := fs.ReadFile(eventfiles.Files, n)
		ev, err := Decode(b)
		if err != nil {
			f.Fatal(err)
		}
		for i := range targets {
			f.Add(uint8(i), ev.Data())
		}
	}
	f.Add(uint8(0), []byte(`{"eventId":"\ud800","eventType":"x"}`))
	f.Add(uint8(1), []byte(`{"service":"a","operation":"b","status":"ok","durationMs":1,"httpStatus":599.0000000000001}`))
	f.Add(uint8(1), []byte(`{"service":"a","operation":"b","status":"x","durationMs":-1e3,"httpStatus":1e7,"extra":[]}`))
	sinkAt := uint8(len(targets) - 1)
	for _, d := range []string{
		`{"s":"abc","n":1}`,
		`{"s":"a","n":-4,"x":0,"e":"b'c","e1":null,"t":"2026-11-23T23:59:60Z","multi":[1,2,3],"list":[{"k":1,"z":true,"y":1}],"open":{"1":null,"2":5}}`,
		`{"s":"abcdefg","n":1000001,"x":10.5,"e":1,"e1":"x","t":"2026-11-23T14:00:60+01:00","f":5,"multi":[],"any":[{}]}`,
		`{"s":"ab","n":1,"x":9,"multi":1.5,"t":"2026-11-23T14:00:00.Z","f":"2026-02-30T00:00:00Z","list":[5]}`,
		`{"s":"ab","n":1,"t":"2026-11-23T14:00:00-25:00","f":"2026-11-23X14:00:00Z","multi":[1e9,true]}`,
		`{"s":"ab","n":-0,"t":"2026-11-23T+4:-1:00Z","f":"2026-11-23T14:00:00+01:-1","multi":true}`,
		`[]`, `"x"`, `1`, `{"s":"ab","n":"1"}`,
		`{"s":"ab","n":1,"t":"x\\","f":"\\'\"\\\"","e":"a\\"}`,
	} {
		f.Add(sinkAt, []byte(d))
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		tg := targets[int(which)%len(targets)]
		fast := tg.e.fast.check(data)
		if fast == fastDuplicate {
			return
		}
		native, ref := describe(tg.e.fast, data), tg.ref(data)
		if (fast == fastValid) != (len(native) == 0) {
			t.Fatalf("%s: fast valid=%v, describe %v for %q", tg.typ, fast == fastValid, native, data)
		}
		if !sameProblems(native, ref) {
			t.Fatalf("%s: %q:\n describe  %v\n jsonschema %v", tg.typ, data, native, ref)
		}
	})
}

// FuzzDateTimeMatchesJSONSchema aims the differential test at date-time,
// the one format the catalog checks: for any string, the verdict and the
// reason given agree with jsonschema's.
func FuzzDateTimeMatchesJSONSchema(f *testing.F) {
	sink := kitchenSinkCatalog(f)
	ref := referenceSchemas(f, sink)[sink.types[0]]
	e := sink.entries[sink.types[0]]
	for _, s := range []string{
		"2026-11-23T14:00:00Z", "2026-11-23t14:00:00.123z", "2026-11-23T23:59:60Z", "2026-11-24T00:59:60+01:00",
		"2026-11-23T14:00:60Z", "2026-02-29T00:00:00Z", "2026-11-23T14:00:00+0100", "2026-11-23T14:00:00.Z",
		"2026-11-23T+1:-1:00Z", "2026-11-23T14:00:00+-1:00", "2026-11-23T14:00:00+01:-1", "2026-11-23T14:00::0Z",
		"2026-11-23T24:00:00Z", "2026-11-23T14:00:00*01:00", "2026-11-23T14:00:00+01:0:", "20261123T140000Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		data, err := json.Marshal(map[string]any{"s": "ab", "n": 1, "f": s})
		if err != nil {
			t.Skip()
		}
		native, want := describe(e.fast, data), referenceDescribe(ref, data)
		if !sameProblems(native, want) {
			t.Fatalf("%q:\n describe  %v\n jsonschema %v", s, native, want)
		}
		if (e.fast.check(data) == fastValid) != (len(want) == 0) {
			t.Fatalf("%q: fast checker disagrees with jsonschema (%v)", s, want)
		}
	})
}
