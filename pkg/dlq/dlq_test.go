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
