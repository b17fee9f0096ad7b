package release_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/release"
)

// FuzzRequest holds a start request's decoding and checks to their word:
// whatever the body, no panic, and a spec that passes has a plan the
// controller can run.
func FuzzRequest(f *testing.F) {
	for _, seed := range []string{
		`{"function":"checkout","version":"2"}`,
		`{"function":"checkout","version":"2","strategy":"linear","weights":[10,20,30],"interval":"90s"}`,
		`{"function":"checkout","version":"2","strategy":"blue-green","slo":"a","maxBurnRate":2,"burnWindow":"1d"}`,
		`{"function":"checkout","version":"2","weights":[50,20],"interval":"soon","maxErrorRate":-1}`,
		`{"function":"x","version":"y","id":"../../etc"}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var rq release.Request
		if json.Unmarshal([]byte(body), &rq) != nil {
			return
		}
		s, err := rq.Spec()
		if err != nil {
			return
		}
		if s.Normalize(time.Unix(1e9, 0)) != nil {
			return
		}
		if s.ID == "" || s.Alias == "" || s.Interval <= 0 || s.Checks.MinRequests <= 0 || s.Checks.MaxHolds <= 0 {
			t.Fatalf("accepted %+v", s)
		}
		for i, w := range s.Weights {
			if w <= 0 || w >= 100 || i > 0 && w <= s.Weights[i-1] {
				t.Fatalf("accepted weights %v", s.Weights)
			}
		}
	})
}
