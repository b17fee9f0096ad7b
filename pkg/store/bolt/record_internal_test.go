package bolt

import (
	"bytes"
	"testing"
	"time"
)

func TestRecordRoundTrip(t *testing.T) {
	for _, r := range []record{
		{version: 1, value: []byte("v")},
		{version: 7, counter: true, value: []byte("-12")},
		{version: 1 << 40, expiresAt: time.Date(2030, 1, 1, 0, 0, 1, 999999999, time.UTC), value: []byte{}},
		{version: 2, expiresAt: time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC)},
		{version: 2, expiresAt: time.Unix(0, 0).UTC()}, // the epoch is an expiry, not "never"
	} {
		got, err := decode(r.encode())
		if err != nil {
			t.Fatal(err)
		}
		if got.version != r.version || got.counter != r.counter || !got.expiresAt.Equal(r.expiresAt) || !bytes.Equal(got.value, r.value) {
			t.Fatalf("round trip %+v -> %+v", r, got)
		}
	}
	for _, b := range [][]byte{nil, {0}, make([]byte, headerLen-1), append([]byte{4}, make([]byte, headerLen)...)} {
		if _, err := decode(b); err == nil {
			t.Errorf("decode(%v) accepted a corrupt record", b)
		}
	}
}

// FuzzDecode: the file can be damaged or written by another version, so
// decoding must never panic and what it accepts must re-encode identically.
func FuzzDecode(f *testing.F) {
	f.Add(record{version: 1, value: []byte("x")}.encode())
	f.Add(record{version: 3, counter: true, expiresAt: time.Unix(1e9, 5), value: []byte("42")}.encode())
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decode(b)
		if err != nil {
			return
		}
		if !bytes.Equal(r.encode(), b) {
			// Non-canonical forms: expiry fields set without the flag, or
			// nanoseconds outside Go's normalised range.
			r2, err := decode(r.encode())
			if err != nil || r2.version != r.version || !r2.expiresAt.Equal(r.expiresAt) || !bytes.Equal(r2.value, r.value) {
				t.Fatalf("accepted record does not round trip: %+v", r)
			}
		}
	})
}
