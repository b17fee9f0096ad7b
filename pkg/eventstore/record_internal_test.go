package eventstore

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestRecordRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 3, 1, 2, 3, 456789, time.UTC)
	for _, r := range []Record{
		{Stream: "saga-o-1", Version: 7, Position: 123456789, Type: "dev.cogniforge.saga.started.v1", ID: "src id", Time: at, Recorded: at.Add(time.Second), Data: json.RawMessage(`{"a":1}`)},
		{Stream: "s", Version: 1, Position: 1, Type: "t"},
	} {
		got, err := decodeRecord(encodeRecord(r))
		if err != nil || !reflect.DeepEqual(got, r) {
			t.Fatalf("round trip of %+v = %+v, %v", r, got, err)
		}
	}
}

// FuzzDecodeRecord: a corrupt stored record is an error, never a panic,
// and whatever decodes encodes back to a record that decodes the same.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(encodeRecord(Record{Stream: "s", Version: 3, Position: 9, Type: "t", ID: "i", Time: time.Unix(5, 0), Data: json.RawMessage(`{}`)}))
	f.Add([]byte{recordFormat, 1, 1, 0, 0, 200})
	f.Add([]byte(`{"s":"json"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			return
		}
		again, err := decodeRecord(encodeRecord(r))
		if err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("%+v re-decodes as %+v, %v", r, again, err)
		}
	})
}
