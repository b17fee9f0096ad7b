package kafkace

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

func sample(t *testing.T) event.Event {
	t.Helper()
	ev := event.New()
	ev.SetID("e-1")
	ev.SetSource("//checkout")
	ev.SetType("dev.cogniforge.request.completed.v1")
	ev.SetSubject("orders/42")
	ev.SetTime(time.Date(2026, 12, 3, 1, 2, 3, 456000000, time.UTC))
	ev.SetExtension("correlationid", "c-9")
	ev.SetExtension("partitionkey", "orders/42")
	if err := ev.SetData("application/json", map[string]any{"service": "checkout", "status": "ok"}); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestRoundTripBothModes(t *testing.T) {
	for _, mode := range []Mode{Binary, Structured} {
		ev := sample(t)
		rec, err := Encode(ev, mode)
		if err != nil {
			t.Fatalf("mode %d: encode: %v", mode, err)
		}
		if string(rec.Key) != "orders/42" {
			t.Errorf("mode %d: key = %q, want the partitionkey", mode, rec.Key)
		}
		got, err := Decode(&rec)
		if err != nil {
			t.Fatalf("mode %d: decode: %v", mode, err)
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("mode %d: decoded event invalid: %v", mode, err)
		}
		if got.ID() != ev.ID() || got.Source() != ev.Source() || got.Type() != ev.Type() || got.Subject() != ev.Subject() ||
			!got.Time().Equal(ev.Time()) || got.DataContentType() != "application/json" {
			t.Errorf("mode %d: context differs:\n got %v\nwant %v", mode, got, ev)
		}
		if got.Extensions()["correlationid"] != "c-9" {
			t.Errorf("mode %d: correlationid = %v", mode, got.Extensions()["correlationid"])
		}
		if strings.TrimSpace(string(got.Data())) != `{"service":"checkout","status":"ok"}` {
			t.Errorf("mode %d: data = %s", mode, got.Data())
		}
	}
}

func TestBinaryHeadersFollowTheBinding(t *testing.T) {
	rec, err := Encode(sample(t), Binary)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"ce_specversion": "1.0", "ce_id": "e-1", "ce_type": "dev.cogniforge.request.completed.v1",
		"content-type": "application/json", "ce_time": "2026-12-03T01:02:03.456Z"}
	for k, v := range want {
		got, ok := rec.Header(k)
		if !ok || string(got) != v {
			t.Errorf("header %s = %q (present %v), want %q", k, got, ok, v)
		}
	}
	if _, ok := rec.Header("ce_datacontenttype"); ok {
		t.Error("datacontenttype must travel as content-type, not ce_datacontenttype")
	}
}

func TestDecodeMapsTheKeyToPartitionKey(t *testing.T) {
	rec := Record{Key: []byte("k1"), Value: []byte(`{}`), Headers: []Header{
		{"CE_SPECVERSION", []byte("1.0")}, {"ce_id", []byte("1")}, {"ce_source", []byte("s")}, {"ce_type", []byte("t.v1")},
	}}
	ev, err := Decode(&rec)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Extensions()["partitionkey"] != "k1" {
		t.Errorf("partitionkey = %v, want the record key", ev.Extensions()["partitionkey"])
	}
}

func TestDecodeRefusesWhatIsNotACloudEvent(t *testing.T) {
	cases := map[string]struct {
		rec  Record
		want string
	}{
		"plain JSON":        {Record{Value: []byte(`{"a":1}`)}, "not a CloudEvent"},
		"plain with type":   {Record{Value: []byte(`x`), Headers: []Header{{"content-type", []byte("text/plain")}}}, "not a CloudEvent"},
		"bad specversion":   {Record{Headers: []Header{{"ce_specversion", []byte("0.3")}}}, "only 1.0"},
		"bad time":          {Record{Headers: []Header{{"ce_specversion", []byte("1.0")}, {"ce_time", []byte("yesterday")}}}, "ce_time"},
		"bad extension":     {Record{Headers: []Header{{"ce_specversion", []byte("1.0")}, {"ce_Bad-Name", []byte("v")}}}, "not a valid extension"},
		"structured avro":   {Record{Value: []byte(`x`), Headers: []Header{{"content-type", []byte("application/cloudevents+avro")}}}, "only the JSON event format"},
		"structured broken": {Record{Value: []byte(`{"specversion":`), Headers: []Header{{"content-type", []byte("application/cloudevents+json")}}}, "structured value"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Decode(&c.rec)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one naming %q", err, c.want)
			}
			if name == "plain JSON" && !errors.Is(err, ErrNotCloudEvent) {
				t.Errorf("err = %v, want ErrNotCloudEvent", err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	bin, _ := Encode(sample(&testing.T{}), Binary)
	str, _ := Encode(sample(&testing.T{}), Structured)
	f.Add([]byte("k"), bin.Value, "ce_specversion", "1.0", "content-type", "application/json")
	f.Add([]byte(nil), str.Value, "content-type", "application/cloudevents+json", "", "")
	f.Add([]byte(nil), []byte("{"), "ce_time", "x", "ce_specversion", "1.0")
	f.Fuzz(func(t *testing.T, key, value []byte, h1, v1, h2, v2 string) {
		rec := Record{Key: key, Value: value, Headers: []Header{{h1, []byte(v1)}, {h2, []byte(v2)}}}
		ev, err := Decode(&rec)
		if err != nil {
			return
		}
		// Whatever decodes encodes again and decodes to the same context.
		again, err := Encode(ev, Binary)
		if err != nil {
			return // e.g. an extension value the SDK cannot format
		}
		ev2, err := Decode(&again)
		if err != nil {
			t.Fatalf("re-decode of an encoded event: %v", err)
		}
		if ev2.ID() != ev.ID() || ev2.Type() != ev.Type() || ev2.Source() != ev.Source() {
			t.Fatalf("round trip changed the context: %v vs %v", ev, ev2)
		}
	})
}
