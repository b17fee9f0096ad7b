package idempotency_test

import (
	"errors"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/idempotency"
)

func TestExtract(t *testing.T) {
	data := []byte(`{"orderId":"o-1","n":17,"f":1.50,"obj":{"b":2, "a":1},"items":[{"sku":"x"},{"sku":"y"}],"odd key":"v","nil":null}`)
	tests := []struct {
		path, want string
		ok         bool
	}{
		{"$.orderId", "o-1", true},
		{"$.n", "17", true},
		{"$.f", "1.50", true}, // numbers keep their text
		{"$.obj", `{"a":1,"b":2}`, true},
		{"$.items[1].sku", "y", true},
		{"$['items'][0][\"sku\"]", "x", true},
		{"$['odd key']", "v", true},
		{"$.missing", "", false},
		{"$.nil", "", false},
		{"$.items[5]", "", false},
		{"$.orderId.deeper", "", false},
		{"$.items.sku", "", false},
		{"$.obj[0]", "", false},
	}
	for _, tc := range tests {
		p, err := idempotency.ParsePath(tc.path)
		if err != nil {
			t.Fatalf("ParsePath(%q): %v", tc.path, err)
		}
		got, ok, err := p.Extract(data)
		if err != nil || got != tc.want || ok != tc.ok {
			t.Errorf("Extract(%q) = %q, %v, %v; want %q, %v", tc.path, got, ok, err, tc.want, tc.ok)
		}
	}
}

func TestParsePathRejects(t *testing.T) {
	for _, src := range []string{"", "orderId", "$", "$.", "$..a", "$[", "$[x]", "$[-1]", "$[+1]", "$['']", "$['a]", "$a", "$.a]"} {
		if _, err := idempotency.ParsePath(src); !errors.Is(err, idempotency.ErrBadPath) {
			t.Errorf("ParsePath(%q) err = %v, want ErrBadPath", src, err)
		}
	}
}

func TestExtractRejectsNonJSON(t *testing.T) {
	p, _ := idempotency.ParsePath("$.a")
	for _, data := range []string{"", "not json", `{"a":1} {"a":2}`, `{"a":`} {
		if _, _, err := p.Extract([]byte(data)); err == nil {
			t.Errorf("Extract(%q) accepted non-JSON", data)
		}
	}
}

// FuzzExtract feeds arbitrary paths and payloads (outside input: the path
// comes from configuration, the payload from events) through the parser
// and extractor: they must never panic, and a found key must be stable.
func FuzzExtract(f *testing.F) {
	f.Add("$.orderId", []byte(`{"orderId":"o-1"}`))
	f.Add("$.items[0]['sku']", []byte(`{"items":[{"sku":"x"}]}`))
	f.Add("$[0]", []byte(`[1,2]`))
	f.Add("$.a.b.c", []byte(`{"a":{"b":{"c":{"d":[1,2,{"e":null}]}}}}`))
	f.Add("$[\"\"]", []byte(`{"":1}`))
	f.Add("$.n", []byte(`{"n":1e400}`))
	f.Fuzz(func(t *testing.T, path string, data []byte) {
		p, err := idempotency.ParsePath(path)
		if err != nil {
			return
		}
		k1, ok1, err1 := p.Extract(data)
		k2, ok2, err2 := p.Extract(data)
		if k1 != k2 || ok1 != ok2 || (err1 == nil) != (err2 == nil) {
			t.Fatalf("Extract not deterministic: %q %v %v / %q %v %v", k1, ok1, err1, k2, ok2, err2)
		}
		if ok1 && err1 != nil {
			t.Fatalf("ok with error %v", err1)
		}
	})
}
