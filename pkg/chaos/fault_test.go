package chaos_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/chaos"
)

func TestValidate(t *testing.T) {
	limits := chaos.Limits{Functions: []string{"payment", "shipping"}}
	ok := chaos.Fault{Function: "payment", Kind: chaos.KindError, ExpiresAt: t0.Add(time.Hour)}
	cases := []struct {
		name  string
		edit  func(*chaos.Fault)
		field string // "" means valid
	}{
		{"valid", func(*chaos.Fault) {}, ""},
		{"rate below", func(f *chaos.Fault) { f.Rate = rate(-0.1) }, "rate"},
		{"rate above", func(f *chaos.Fault) { f.Rate = rate(1.5) }, "rate"},
		{"rate bounds", func(f *chaos.Fault) { f.Rate = rate(0) }, ""},
		{"no expiry", func(f *chaos.Fault) { f.ExpiresAt = time.Time{} }, "expiresAt"},
		{"past expiry", func(f *chaos.Fault) { f.ExpiresAt = t0 }, "expiresAt"},
		{"too far", func(f *chaos.Fault) { f.ExpiresAt = t0.Add(24*time.Hour + time.Second) }, "expiresAt"},
		{"24h ok", func(f *chaos.Fault) { f.ExpiresAt = t0.Add(24 * time.Hour) }, ""},
		{"unknown function", func(f *chaos.Fault) { f.Function = "nope" }, "function"},
		{"no function", func(f *chaos.Fault) { f.Function = "" }, "function"},
		{"no kind", func(f *chaos.Fault) { f.Kind = "" }, "fault"},
		{"bad kind", func(f *chaos.Fault) { f.Kind = "explode" }, "fault"},
		{"latency needs value", func(f *chaos.Fault) { f.Kind = chaos.KindLatency }, "latency"},
		{"latency range", func(f *chaos.Fault) {
			f.Kind, f.Latency, f.LatencyMax = chaos.KindLatency, chaos.Duration(time.Second), chaos.Duration(time.Millisecond)
		}, "latencyMax"},
		{"status range", func(f *chaos.Fault) { f.Kind, f.Status = chaos.KindStatus, 200 }, "status"},
		{"deny needs targets", func(f *chaos.Fault) { f.Kind = chaos.KindDeny }, "hosts"},
		{"deny mode", func(f *chaos.Fault) { f.Kind, f.Hosts, f.DenyMode = chaos.KindDeny, []string{"a"}, "later" }, "denyMode"},
		{"breaker name", func(f *chaos.Fault) { f.Kind = chaos.KindBreaker }, "breaker"},
		{"memory bound", func(f *chaos.Fault) { f.Kind, f.MemoryMB = chaos.KindMemory, 4096 }, "memoryMB"},
		{"cpu bound", func(f *chaos.Fault) { f.Kind, f.CPU = chaos.KindCPU, chaos.Duration(time.Minute) }, "cpu"},
		{"extensive unapproved", func(f *chaos.Fault) { f.BlastRadius = chaos.BlastExtensive }, "blastRadius"},
		{"extensive approved", func(f *chaos.Fault) { f.BlastRadius, f.ApprovedBy = chaos.BlastExtensive, "alice" }, ""},
		{"bad radius", func(f *chaos.Fault) { f.BlastRadius = "huge" }, "blastRadius"},
		{"bad regex", func(f *chaos.Fault) { f.Match = []chaos.Matcher{{Field: "type", Op: "regex", Value: "("}} }, "match[0]"},
		{"bad op", func(f *chaos.Fault) { f.Match = []chaos.Matcher{{Field: "type", Op: "like"}} }, "match[0]"},
		{"bad field", func(f *chaos.Fault) { f.Match = []chaos.Matcher{{Field: "time", Op: "exists"}} }, "match[0]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := ok
			tc.edit(&f)
			err := f.Validate(limits, t0)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid fault refused: %v", err)
				}
				return
			}
			if !errors.Is(err, chaos.ErrInvalidFault) || !strings.Contains(err.Error(), tc.field+":") {
				t.Fatalf("got %v, want an error naming %s", err, tc.field)
			}
		})
	}
}

func TestManagerInjectInvalidStoresNothing(t *testing.T) {
	st := &chaos.MemoryStore{}
	m := chaos.Manager{Store: st, Now: func() time.Time { return t0 }, Limits: chaos.Limits{Functions: []string{"payment"}}}
	ctx := context.Background()
	for _, f := range []chaos.Fault{
		{Function: "payment", Kind: chaos.KindError, Rate: rate(2), For: chaos.Duration(time.Minute)},
		{Function: "payment", Kind: chaos.KindError},
		{Function: "payment", Kind: chaos.KindError, For: chaos.Duration(25 * time.Hour)},
		{Function: "nope", Kind: chaos.KindError, For: chaos.Duration(time.Minute)},
	} {
		if _, err := m.Inject(ctx, f); !errors.Is(err, chaos.ErrInvalidFault) {
			t.Fatalf("Inject(%+v) = %v", f, err)
		}
	}
	if l, _ := m.List(ctx); len(l) != 0 {
		t.Fatalf("stored %v", l)
	}
	f, err := m.Inject(ctx, chaos.Fault{Function: "payment", Kind: chaos.KindError, For: chaos.Duration(time.Minute)})
	if err != nil || f.ID == "" || !f.ExpiresAt.Equal(t0.Add(time.Minute)) || f.For != 0 {
		t.Fatalf("Inject = %+v, %v", f, err)
	}
	m.Now = func() time.Time { return t0.Add(time.Minute) }
	if l, _ := m.List(ctx); len(l) != 0 {
		t.Fatalf("expired fault listed: %v", l)
	}
}

func TestParseDocument(t *testing.T) {
	doc, err := chaos.ParseDocument([]byte(`[{"id":"a","function":"payment","fault":"latency","latency":"250ms","latencyMax":500,"expiresAt":"2026-12-03T01:00:00Z"}]`))
	if err != nil || len(doc.Faults) != 1 || doc.Faults[0].Latency.D() != 250*time.Millisecond || doc.Faults[0].LatencyMax.D() != 500*time.Millisecond {
		t.Fatalf("%+v %v", doc, err)
	}
	for _, bad := range []string{`{"faults":[{"fault":"error","colour":1}]}`, `{"faults":[]} {}`, `{"faults":[{"latency":"soon"}]}`, `nonsense`} {
		if _, err := chaos.ParseDocument([]byte(bad)); err == nil {
			t.Errorf("ParseDocument(%s) accepted", bad)
		}
	}
}

func FuzzParseDocument(f *testing.F) {
	f.Add([]byte(`{"faults":[{"id":"a","function":"payment","fault":"error","rate":0.5,"expiresAt":"2026-12-03T01:00:00Z","match":[{"field":"data.a","op":"regex","value":"^x"}]}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := chaos.ParseDocument(b)
		if err != nil {
			return
		}
		for _, fl := range doc.Faults {
			_ = fl.Validate(chaos.Limits{}, t0)
		}
	})
}
