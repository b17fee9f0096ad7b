package localruntime

import (
	"testing"
	"time"
)

// The redelivery delay follows from the receive count alone: base doubled
// per earlier try, capped at a minute, with no jitter.
func TestBackoffDelay(t *testing.T) {
	tests := []struct {
		base time.Duration
		n    int
		want time.Duration
	}{
		{time.Second, 0, time.Second},
		{time.Second, 1, 2 * time.Second},
		{time.Second, 2, 4 * time.Second},
		{time.Second, 5, 32 * time.Second},
		{time.Second, 6, time.Minute}, // 64s capped
		{time.Second, 1000, time.Minute},
		{time.Second, -1, time.Second}, // enqueue retries start at 0; never below base
		{45 * time.Second, 0, 45 * time.Second},
		{45 * time.Second, 1, time.Minute},
		{2 * time.Minute, 0, time.Minute}, // a base over the cap is capped too
		{time.Nanosecond, 10, 1024 * time.Nanosecond},
		{time.Nanosecond, 1 << 30, time.Minute},
	}
	for _, tc := range tests {
		if got := backoffDelay(tc.base, tc.n); got != tc.want {
			t.Errorf("backoffDelay(%v, %d) = %v, want %v", tc.base, tc.n, got, tc.want)
		}
	}
}
