package ratelimit

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in       string
		perSec   float64
		interval time.Duration
		err      string
	}{
		{in: "10/s", perSec: 10, interval: 100 * time.Millisecond},
		{in: "600/min", perSec: 10, interval: 100 * time.Millisecond},
		{in: " 2.5 / second", perSec: 2.5, interval: 400 * time.Millisecond},
		{in: "60/minute", perSec: 1, interval: time.Second},
		{in: "0/s", err: "must be positive"},
		{in: "-5/min", err: "must be positive"},
		{in: "ten/s", err: "not a number"},
		{in: "10/h", err: "unknown unit"},
		{in: "10", err: "want COUNT/s"},
		{in: "NaN/s", err: "not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := ParseRate(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseRate(%q) = %v, %v; want error containing %q", tt.in, r, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.PerSecond() != tt.perSec || r.Interval() != tt.interval {
				t.Errorf("ParseRate(%q): %v/s every %v, want %v/s every %v", tt.in, r.PerSecond(), r.Interval(), tt.perSec, tt.interval)
			}
		})
	}
}

const goodPolicies = `
policies:
  - class: anonymous
    api: "*"
    rate: 5/s
    burst: 10
    quota: 1000
  - class: premium
    api: orders
    rate: 6000/min
    burst: 200
`

func TestParseAndFor(t *testing.T) {
	ps, err := Parse(File{Name: "ratelimits.yaml", Data: []byte(goodPolicies)})
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := ps.For(apiclient.Anonymous, "orders"); !ok || p.API != AllAPIs || p.Burst != 10 || p.Quota != 1000 {
		t.Errorf("anonymous on orders: %+v %v, want the anonymous default", p, ok)
	}
	if p, ok := ps.For(apiclient.Premium, "orders"); !ok || p.Rate.PerSecond() != 100 || p.Quota != 0 {
		t.Errorf("premium on orders: %+v %v", p, ok)
	}
	if p, ok := ps.For(apiclient.Premium, "events"); ok {
		t.Errorf("premium on events: %+v, want no policy (no premium default)", p)
	}
	if p, ok := ps.For(apiclient.Authenticated, "orders"); ok {
		t.Errorf("authenticated: %+v, want no policy", p)
	}
	if got := len(ps.List()); got != 2 {
		t.Errorf("List: %d policies, want 2", got)
	}
	var none *Policies
	if _, ok := none.For(apiclient.Anonymous, "x"); ok {
		t.Error("nil Policies limits")
	}
}

func TestParseNamesTheField(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"zero rate", "policies:\n- {class: anonymous, api: '*', rate: 0/s, burst: 1}", []string{"f.yaml: policies[0].rate:", "must be positive"}},
		{"negative rate", "policies:\n- {class: anonymous, api: '*', rate: -1/min, burst: 1}", []string{"policies[0].rate:", "must be positive"}},
		{"missing rate", "policies:\n- {class: anonymous, api: '*', burst: 1}", []string{"policies[0].rate: missing"}},
		{"burst zero", "policies:\n- {class: premium, api: '*', rate: 1/s, burst: 0}", []string{"policies[0].burst: 0: must be at least 1"}},
		{"burst missing", "policies:\n- {class: premium, api: '*', rate: 1/s}", []string{"policies[0].burst: missing"}},
		{"negative quota", "policies:\n- {class: premium, api: '*', rate: 1/s, burst: 1, quota: -3}", []string{"policies[0].quota: -3"}},
		{"unknown class", "policies:\n- {class: gold, api: '*', rate: 1/s, burst: 1}", []string{`policies[0].class: unknown class "gold"`, "anonymous, authenticated, premium"}},
		{"missing api", "policies:\n- {class: premium, rate: 1/s, burst: 1}", []string{"policies[0].api: missing"}},
		{"unknown field", "policies:\n- {class: premium, api: '*', rate: 1/s, burst: 1, qouta: 3}", []string{"f.yaml", "qouta"}},
		{"duplicate", "policies:\n- {class: premium, api: x, rate: 1/s, burst: 1}\n- {class: premium, api: x, rate: 2/s, burst: 1}", []string{"policies[1]", "already set at f.yaml: policies[0]"}},
		{"rate too high", "policies:\n- {class: anonymous, api: '*', rate: 1e12/s, burst: 1}", []string{"policies[0].rate:", "at most"}},
		{"burst too long", "policies:\n- {class: anonymous, api: '*', rate: 1/min, burst: 1000000}", []string{"policies[0].burst:", "more than a year"}},
		{"every problem", "policies:\n- {class: gold, api: '*', rate: 0/s, burst: 0, quota: -1}", []string{"class", "rate", "burst", "quota"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(File{Name: "f.yaml", Data: []byte(tt.yaml)})
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("Parse: %v, want ErrInvalidPolicy", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	ps, err := Parse(File{Name: "empty.yaml"}, File{Name: "comment.yaml", Data: []byte("# nothing\n")})
	if err != nil || len(ps.List()) != 0 {
		t.Fatalf("Parse of empty files: %v, %v", ps.List(), err)
	}
}
