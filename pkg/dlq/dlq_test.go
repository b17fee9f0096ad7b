package dlq_test

import (
	"testing"

	"github.com/cogniforge/cogniforge/pkg/dlq"
)

func TestDecodeBody(t *testing.T) {
	tests := []struct {
		name, body, id string
		ok             bool
	}{
		{"structured", `{"specversion":"1.0","id":"a","source":"s","type":"t"}`, "a", true},
		{"EventBridge envelope", `{"version":"0","detail-type":"t","source":"s","detail":{"specversion":"1.0","id":"b","source":"s","type":"t"}}`, "b", true},
		{"not JSON", `hello`, "", false},
		{"missing id", `{"specversion":"1.0","source":"s","type":"t"}`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := dlq.DecodeBody([]byte(tt.body))
			if (err == nil) != tt.ok || (tt.ok && e.ID() != tt.id) {
				t.Errorf("got %v %v", e.ID(), err)
			}
		})
	}
}

// FuzzDecodeBody: any queue body decodes to a valid CloudEvent or an error,
// never a panic; what decodes re-encodes.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		`{"specversion":"1.0","id":"a","source":"s","type":"t"}`,
		`{"version":"0","detail-type":"t","source":"s","detail":{"specversion":"1.0","id":"b","source":"s","type":"t"}}`,
		`{"detail-type":"t","detail":[]}`, `null`, `hello`, `{"specversion":"0.3"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := dlq.DecodeBody(b)
		if err != nil {
			return
		}
		if _, err := e.MarshalJSON(); err != nil {
			t.Errorf("decoded %q but cannot encode it: %v", b, err)
		}
	})
}
