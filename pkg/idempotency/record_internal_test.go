package idempotency

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRecordRoundTrip(t *testing.T) {
	hash := payloadHash([]byte("p"))
	for _, r := range []record{
		{Status: statusInProgress, Hash: hash, Until: 1},
		{Status: statusCompleted, Hash: hash, Result: json.RawMessage(`{"a":1}`)},
		{Status: statusCompleted, Hash: hash, Result: json.RawMessage(`null`)},
	} {
		b, err := r.encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeRecord(b)
		if err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
		if got.Status != r.Status || got.Hash != r.Hash || got.Until != r.Until || string(got.Result) != string(r.Result) {
			t.Fatalf("round trip %+v -> %+v", r, got)
		}
	}
}

func TestDecodeRecordRejects(t *testing.T) {
	h := strings.Repeat("a", 64)
	for _, b := range []string{
		``, `null`, `[]`, `{}`, `{"status":"DONE","hash":"` + h + `"}`,
		`{"status":"INPROGRESS","hash":"` + h + `"}`,
		`{"status":"COMPLETED","hash":"` + h + `"}`,
		`{"status":"INPROGRESS","hash":"short","until":5}`,
	} {
		if _, err := decodeRecord([]byte(b)); err == nil {
			t.Errorf("decodeRecord(%q) accepted", b)
		}
	}
}

// FuzzDecodeRecord: records are read back from a shared store that other
// code (or an operator) can write to, so decoding must never panic and
// whatever it accepts must re-encode to an equivalent record.
func FuzzDecodeRecord(f *testing.F) {
	h := strings.Repeat("0", 64)
	f.Add([]byte(`{"status":"INPROGRESS","hash":"` + h + `","until":1}`))
	f.Add([]byte(`{"status":"COMPLETED","hash":"` + h + `","result":{"x":[1,2]}}`))
	f.Add([]byte(`{"status":"COMPLETED","hash":"` + h + `","result":"s","until":-1}`))
	f.Add([]byte(`{"status":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			return
		}
		enc, err := r.encode()
		if err != nil {
			t.Fatalf("accepted record does not re-encode: %v", err)
		}
		r2, err := decodeRecord(enc)
		if err != nil || r2.Status != r.Status || r2.Hash != r.Hash || r2.Until != r.Until {
			t.Fatalf("re-decode %+v -> %+v, %v", r, r2, err)
		}
	})
}
