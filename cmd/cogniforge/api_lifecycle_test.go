package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/apilifecycle"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
)

func TestAPILifecycle(t *testing.T) {
	dir := t.TempDir()
	st, err := bolt.Open(bolt.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := apilifecycle.Embedded()
	day := time.Date(2027, 1, 10, 12, 0, 0, 0, time.UTC)
	now := day
	l, err := apilifecycle.New(apilifecycle.Config{Catalog: c, Function: "order-query", Store: st, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	h := l.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	call := func(path, client string, n int) {
		for range n {
			r := httptest.NewRequest("GET", path, nil)
			r = r.WithContext(apiclient.WithClient(r.Context(), apiclient.Client{ID: client}))
			h.ServeHTTP(httptest.NewRecorder(), r)
		}
	}
	call("/orders", "acme", 4)
	call("/orders", "globex", 1)
	call("/v0/orders", "initech", 2)
	now = day.AddDate(0, 0, -40) // outside a 30-day window
	call("/orders", "old-client", 1)
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.Close()

	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), []string{"api", "lifecycle", "--json", "--data-dir", dir, "--time", "2027-01-10T18:00:00Z"}, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var rep struct {
		Since string
		APIs  []lifecycleJSON
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Since != "2026-12-12" {
		t.Errorf("since %s, want 2026-12-12 (30 days to 2027-01-10)", rep.Since)
	}
	got := map[string]lifecycleJSON{}
	for _, a := range rep.APIs {
		got[a.Name+"/"+a.Version] = a
	}
	v1 := got["orders/v1"]
	if v1.State != "deprecated" || v1.Deprecated != "2026-12-03" || v1.Sunset != "2027-06-30" || len(v1.Calls) != 2 ||
		v1.Calls[0] != (apilifecycle.Calls{Client: "acme", Calls: 4, Last: "2027-01-10"}) || v1.Calls[1].Client != "globex" {
		t.Errorf("orders v1 = %+v", v1)
	}
	if v0 := got["orders/v0"]; v0.State != "retired" || len(v0.Calls) != 1 || v0.Calls[0].Calls != 2 {
		t.Errorf("orders v0 = %+v", v0)
	}
	if v2 := got["orders/v2"]; v2.State != "active" || v2.Prefix != "/v2" || v2.Calls != nil {
		t.Errorf("orders v2 = %+v", v2)
	}

	// After v1's sunset it is listed as retired.
	stdout.Reset()
	if code := dispatch(context.Background(), []string{"api", "lifecycle", "--time", "2027-07-01T00:00:00Z"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(stdout.String(), "orders      v1       order-query         -       retired") {
		t.Errorf("text after the sunset:\n%s", stdout.String())
	}
	// The text form with counts.
	stdout.Reset()
	dispatch(context.Background(), []string{"api", "lifecycle", "--data-dir", dir, "--time", "2027-01-10T18:00:00Z", "--days", "60"}, nil, &stdout, &stderr)
	if !strings.Contains(stdout.String(), "orders v1 (deprecated) calls since 2026-11-12:") || !strings.Contains(stdout.String(), "old-client") {
		t.Errorf("text with --days 60:\n%s", stdout.String())
	}

	for _, args := range [][]string{
		{"api", "lifecycle", "--days", "0"},
		{"api", "lifecycle", "--time", "yesterday"},
		{"api", "lifecycle", "extra"},
		{"api", "lifecycle", "--data-dir", t.TempDir() + "/none"},
	} {
		if code := dispatch(context.Background(), args, nil, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code := dispatch(context.Background(), []string{"api", "lifecycle", "--help"}, nil, &stdout, &stderr); code != 0 {
		t.Errorf("--help: exit %d", code)
	}
}
