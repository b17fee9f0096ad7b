// Package configtest is the contract every config.ParameterStore meets, run
// against the embedded store and against SSM (moto), so the local backend
// behaves as the cloud one does.
package configtest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/config"
)

// Run runs the contract against stores made by newStore; each subtest gets
// a fresh store (or a fresh name prefix, see prefix).
func Run(t *testing.T, newStore func(t *testing.T) config.ParameterStore) {
	ctx := context.Background()
	seq := 0
	fresh := func(t *testing.T) (config.ParameterStore, string) {
		seq++
		// A unique root per subtest, so a shared backend (one moto) needs no
		// cleanup between them.
		return newStore(t), fmt.Sprintf("/cogniforge/dev/contract%d-%d", seq, time.Now().UnixNano()%1e6)
	}

	t.Run("versions", func(t *testing.T) {
		s, base := fresh(t)
		name := base + "/timeout"
		for i, v := range []string{"1s", "2s", "3s"} {
			got, err := s.Put(ctx, name, v, false)
			if err != nil {
				t.Fatalf("Put %d: %v", i, err)
			}
			if got != int64(i+1) {
				t.Fatalf("Put %d: version %d, want %d", i, got, i+1)
			}
		}
		cases := []struct {
			sel  string
			want string
			ver  int64
		}{{"", "3s", 3}, {"1", "1s", 1}, {"2", "2s", 2}}
		for _, c := range cases {
			p, err := s.Get(ctx, name, c.sel)
			if err != nil {
				t.Fatalf("Get %q: %v", c.sel, err)
			}
			if p.Value != c.want || p.Version != c.ver || p.Name != name {
				t.Errorf("Get %q = %+v, want value %q version %d", c.sel, p, c.want, c.ver)
			}
		}
		h, err := s.History(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 3 || h[0].Value != "1s" || h[2].Version != 3 || h[0].LastModified.IsZero() {
			t.Errorf("History = %+v", h)
		}
	})

	t.Run("not found", func(t *testing.T) {
		s, base := fresh(t)
		name := base + "/x"
		if _, err := s.Get(ctx, name, ""); !errors.Is(err, config.ErrNotFound) {
			t.Errorf("Get missing: %v, want ErrNotFound", err)
		}
		if _, err := s.Put(ctx, name, "v", false); err != nil {
			t.Fatal(err)
		}
		for _, sel := range []string{"7", "nolabel"} {
			if _, err := s.Get(ctx, name, sel); !errors.Is(err, config.ErrNotFound) {
				t.Errorf("Get %q: %v, want ErrNotFound", sel, err)
			}
		}
		if _, err := s.History(ctx, base+"/nothing"); !errors.Is(err, config.ErrNotFound) {
			t.Errorf("History missing: %v, want ErrNotFound", err)
		}
	})

	t.Run("secure", func(t *testing.T) {
		s, base := fresh(t)
		name := base + "/password"
		if _, err := s.Put(ctx, name, "hunter2", true); err != nil {
			t.Fatal(err)
		}
		p, err := s.Get(ctx, name, "")
		if err != nil {
			t.Fatal(err)
		}
		if p.Value != "hunter2" || !p.Secure {
			t.Errorf("Get secure = %+v, want clear value and Secure", p)
		}
		h, err := s.History(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 1 || h[0].Value != config.MaskedValue || !h[0].Secure {
			t.Errorf("History secure = %+v, want masked", h)
		}
	})

	t.Run("labels move", func(t *testing.T) {
		s, base := fresh(t)
		name := base + "/rate"
		for _, v := range []string{"10", "20"} {
			if _, err := s.Put(ctx, name, v, false); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Label(ctx, name, 1, "stable", "first"); err != nil {
			t.Fatal(err)
		}
		if p, err := s.Get(ctx, name, "stable"); err != nil || p.Value != "10" {
			t.Fatalf("Get stable = %+v, %v; want 10", p, err)
		}
		if err := s.Label(ctx, name, 2, "stable"); err != nil {
			t.Fatal(err)
		}
		if p, err := s.Get(ctx, name, "stable"); err != nil || p.Value != "20" {
			t.Fatalf("Get stable after move = %+v, %v; want 20", p, err)
		}
		h, err := s.History(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(h[0].Labels, h[1].Labels); got != "[first] [stable]" {
			t.Errorf("labels = %s, want [first] [stable]", got)
		}
		if err := s.Label(ctx, name, 9, "x"); !errors.Is(err, config.ErrNotFound) {
			t.Errorf("Label missing version: %v, want ErrNotFound", err)
		}
	})

	t.Run("by path", func(t *testing.T) {
		s, base := fresh(t)
		puts := []struct{ key, value string }{{"a", "1"}, {"db/host", "h"}, {"a", "2"}, {"b", "x"}}
		for _, p := range puts {
			if _, err := s.Put(ctx, base+"/"+p.key, p.value, false); err != nil {
				t.Fatal(err)
			}
		}
		// A sibling whose name starts like base is not under it.
		if _, err := s.Put(ctx, base+"x/a", "other", false); err != nil {
			t.Fatal(err)
		}
		ps, err := s.GetByPath(ctx, base+"/")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range ps {
			got = append(got, p.Name[len(base):]+"="+p.Value)
		}
		sort.Strings(got)
		if fmt.Sprint(got) != "[/a=2 /b=x /db/host=h]" {
			t.Errorf("GetByPath = %v", got)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		s, base := fresh(t)
		if _, err := s.Put(ctx, "no-slash", "v", false); !errors.Is(err, config.ErrInvalidName) {
			t.Errorf("Put bad name: %v, want ErrInvalidName", err)
		}
		if _, err := s.Put(ctx, base+"/k", "v", false); err != nil {
			t.Fatal(err)
		}
		if err := s.Label(ctx, base+"/k", 1, "1abc"); !errors.Is(err, config.ErrInvalidName) {
			t.Errorf("Label starting with a digit: %v, want ErrInvalidName", err)
		}
		if _, err := s.Get(ctx, base+"/k", "0"); !errors.Is(err, config.ErrInvalidName) {
			t.Errorf("Get version 0: %v, want ErrInvalidName", err)
		}
	})
}
