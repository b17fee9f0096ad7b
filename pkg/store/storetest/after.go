package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// plain hides a store's Seeker, so store.QueryAfter takes its fallback.
type plain struct{ store.Store }

// testQueryAfter: keyset pagination starts strictly after the bound, keeps
// the prefix, skips expired items, and the Query fallback agrees.
func testQueryAfter(t *testing.T, s store.Store, clock *Clock) {
	ctx := context.Background()
	for _, sk := range []string{"b#03", "a#1", "b#01", "b#10", "b#02", "c", "b#04"} {
		var exp time.Time
		if sk == "b#04" {
			exp = clock.Now().Add(time.Second)
		}
		mustPut(t, s, store.Item{Key: k("pg", sk), Value: []byte("v"), ExpiresAt: exp}, store.Condition{})
	}
	clock.Advance(time.Second)
	if _, ok := s.(store.Seeker); !ok {
		t.Errorf("%T does not implement store.Seeker", s)
	}
	tests := []struct {
		prefix, after string
		limit         int
		want          []string
	}{
		{"", "", 0, []string{"a#1", "b#01", "b#02", "b#03", "b#10", "c"}},
		{"", "b#02", 0, []string{"b#03", "b#10", "c"}},
		{"", "b#02", 2, []string{"b#03", "b#10"}},
		{"", "b#025", 1, []string{"b#03"}}, // a bound that is no key
		{"b#", "b#03", 0, []string{"b#10"}},
		{"b#", "a", 2, []string{"b#01", "b#02"}}, // bound below the prefix
		{"b#", "b#10", 0, nil},
		{"b#", "c", 0, nil}, // bound above the prefix
		{"", "c", 0, nil},
		{"", "b#03", 1, []string{"b#10"}}, // b#04 expired
	}
	for _, impl := range []struct {
		name string
		s    store.Store
	}{{"seeker", s}, {"fallback", plain{s}}} {
		for _, tc := range tests {
			items, err := store.QueryAfter(ctx, impl.s, "pg", tc.prefix, tc.after, tc.limit)
			if err != nil {
				t.Fatalf("%s: QueryAfter(%q, %q, %d): %v", impl.name, tc.prefix, tc.after, tc.limit, err)
			}
			var got []string
			for _, it := range items {
				got = append(got, it.Key.Sort)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s: QueryAfter(%q, %q, %d) = %v, want %v", impl.name, tc.prefix, tc.after, tc.limit, got, tc.want)
			}
		}
	}
}
