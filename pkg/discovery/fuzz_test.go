package discovery_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/discovery"
)

// FuzzRegistrationJSON decodes outside input as the health-checker's
// POST /instances does: decoding and Validate never panic, a refused
// registration names a field, and a valid lease's duration survives a
// round trip.
func FuzzRegistrationJSON(f *testing.F) {
	for _, seed := range []string{
		`{"service":"checkout","id":"i-1","url":"http://10.0.0.1:8080","weight":3,"ttl":"90s"}`,
		`{"service":"checkout","id":"i-1","url":"","weight":-1,"ttl":1}`,
		`{"service":"a/b","id":"","url":"ftp://x","healthUrl":"h","metadata":{"":"v"}}`,
		`{"ttl":1e300}`, `{"ttl":"-5m"}`, `{"weight":1.5}`, `{}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r discovery.Registration
		if json.Unmarshal(data, &r) != nil {
			return
		}
		if err := r.Validate(); err != nil {
			var fe *discovery.FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("%s: %v names no field", data, err)
			}
			return
		}
		b, err := json.Marshal(r.TTL)
		if err != nil {
			t.Fatal(err)
		}
		var back discovery.Duration
		if err := json.Unmarshal(b, &back); err != nil || back != r.TTL {
			t.Fatalf("ttl %v round-tripped to %v (%v)", time.Duration(r.TTL), time.Duration(back), err)
		}
	})
}
