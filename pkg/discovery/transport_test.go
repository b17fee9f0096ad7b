package discovery_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/discovery"
	"github.com/cogniforge/cogniforge/pkg/discovery/discoverytest"
)

func TestTransportSendsToAPickedInstance(t *testing.T) {
	clk := clock.NewFake(time.Now())
	hit := make(chan string, 10)
	mk := func(name string) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hit <- name + " " + r.URL.RequestURI()
			io.WriteString(w, name)
		}))
		t.Cleanup(s.Close)
		return s
	}
	a, b := mk("a"), mk("b")
	ia, ib := discoverytest.Instance("orders", "a", 1, clk.Now()), discoverytest.Instance("orders", "b", 1, clk.Now())
	ia.URL, ib.URL = a.URL+"/v1", b.URL
	src := &discoverytest.Source{}
	src.Set(ia, ib)
	c := newClient(t, discovery.LeastOutstanding, src, clk)
	hc := &http.Client{Transport: &discovery.Transport{Client: c}}

	// a's response is held open: the next request goes to the idle b.
	resp1, err := hc.Get("discovery://orders/items/7?full=1")
	if err != nil {
		t.Fatal(err)
	}
	if got := <-hit; got != "a /v1/items/7?full=1" {
		t.Fatalf("first request reached %q", got)
	}
	resp2, err := hc.Get("discovery://orders/items/8")
	if err != nil {
		t.Fatal(err)
	}
	if got := <-hit; got != "b /items/8" {
		t.Fatalf("second request reached %q", got)
	}
	resp2.Body.Close()
	resp2.Body.Close() // a second Close releases nothing more
	if out := c.Outstanding("orders"); out["a"] != 1 || out["b"] != 0 {
		t.Fatalf("outstanding %v", out)
	}
	resp1.Body.Close()
	if out := c.Outstanding("orders"); out["a"] != 0 {
		t.Fatalf("outstanding after close %v", out)
	}
	// Other schemes pass through; a service with nothing routable fails.
	if resp, err := hc.Get(b.URL + "/plain"); err != nil || <-hit != "b /plain" {
		t.Fatalf("plain request: %v", err)
	} else {
		resp.Body.Close()
	}
	if _, err := hc.Get("discovery://nothing/x"); !errors.Is(err, discovery.ErrNoInstance) {
		t.Fatalf("no instance: %v", err)
	}
}
