// Package apilifecycle_test drives the API lifecycle through the real CLI
// and local runtime: order-query serves orders v1 (/orders, deprecated:
// Deprecation, Sunset and Link headers), v2 (/v2/orders, paginated, no
// lifecycle headers) and v0 (/v0/orders, retired: 410 and a problem body
// without reaching the function); after the runtime stops, `cogniforge api
// lifecycle --data-dir` names the client that called v1 and v0.
package apilifecycle_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/test/testenv"
)

var cli string

func TestMain(m *testing.M) { os.Exit(testenv.MainWithCLI(m, &cli)) }

const guide = "https://github.com/cogniforge/cogniforge/blob/main/docs/api/orders-v2-migration.md"

func TestLifecycleThroughTheRuntime(t *testing.T) {
	repo, _ := filepath.Abs("../..")
	rt := testenv.StartRuntime(t, cli, "--config", filepath.Join(repo, "config"), "--statemachines", "")
	token, err := os.ReadFile(filepath.Join(rt.DataDir, "api.token"))
	if err != nil {
		t.Fatal(err)
	}
	post := func(id, typ, data string) {
		t.Helper()
		req, _ := http.NewRequest("POST", "http://"+rt.Addr+"/functions/event-gateway", strings.NewReader(data))
		req.Header.Set("ce-specversion", "1.0")
		req.Header.Set("ce-id", id)
		req.Header.Set("ce-source", "cogniforge/saga/order-fulfillment")
		req.Header.Set("ce-type", typ)
		req.Header.Set("content-type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("gateway answered %s to %s: %s", resp.Status, id, body)
		}
	}
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+rt.Addr+"/functions/order-query"+path, nil)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	ids := []string{"o-1", "o-2", "o-3", "o-4", "o-5"}
	for _, id := range ids {
		post(id+"/saga/started", "dev.cogniforge.saga.started.v1",
			`{"sagaId":"`+id+`","saga":"order-fulfillment","steps":["inventory"],"input":{"orderId":"`+id+`","customerId":"c-1","items":[{"sku":"sku-1","quantity":1}]}}`)
	}
	rt.Until(t, "the five orders are in the model", func() bool {
		resp, body := get("/v2/orders?limit=200")
		var p struct{ Orders []any }
		_ = json.Unmarshal(body, &p)
		return resp.StatusCode == 200 && len(p.Orders) == len(ids)
	})

	// v1: served, announced.
	resp, body := get("/orders?customer=c-1")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"o-5"`) {
		t.Fatalf("GET /orders = %s %s", resp.Status, body)
	}
	h := resp.Header
	if got := h.Values("Deprecation"); len(got) != 1 || got[0] != "@1796256000" {
		t.Errorf("Deprecation = %q, want @1796256000 (2026-12-03)", got)
	}
	if got := h.Values("Sunset"); len(got) != 1 || got[0] != "Wed, 30 Jun 2027 00:00:00 GMT" {
		t.Errorf("Sunset = %q", got)
	}
	if got := strings.Join(h.Values("Link"), ", "); got != `<`+guide+`>; rel="deprecation", <`+guide+`>; rel="sunset"` {
		t.Errorf("Link = %q", got)
	}
	if resp, _ := get("/orders/o-2"); resp.Header.Get("Deprecation") == "" {
		t.Error("GET /orders/o-2 has no Deprecation header")
	}

	// v2: pages of two, every order once, no lifecycle headers.
	var got []string
	q := "?limit=2"
	for pages := 0; ; pages++ {
		resp, body := get("/v2/orders" + q)
		if resp.StatusCode != 200 {
			t.Fatalf("GET /v2/orders%s = %s %s", q, resp.Status, body)
		}
		for _, hd := range []string{"Deprecation", "Sunset", "Link"} {
			if v := resp.Header.Values(hd); len(v) > 0 {
				t.Errorf("v2 answered %s: %q", hd, v)
			}
		}
		var p struct {
			Orders []struct{ OrderID string }
			Next   string
		}
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		if len(p.Orders) > 2 {
			t.Fatalf("page of %d orders with limit 2", len(p.Orders))
		}
		for _, o := range p.Orders {
			got = append(got, o.OrderID)
		}
		if p.Next == "" {
			if pages != 2 {
				t.Errorf("%d pages for 5 orders by 2, want 3", pages+1)
			}
			break
		}
		q = "?limit=2&cursor=" + url.QueryEscape(p.Next)
	}
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Fatalf("pages gave %v, want %v", got, ids)
	}
	if resp, body := get("/v2/orders/o-3"); resp.StatusCode != 200 || !strings.Contains(string(body), `"orderId":"o-3"`) {
		t.Fatalf("GET /v2/orders/o-3 = %s %s", resp.Status, body)
	}
	if resp, _ := get("/v2/orders/o-404"); resp.StatusCode != 404 {
		t.Errorf("GET /v2/orders/o-404 = %s, want 404", resp.Status)
	}

	// v0: gone.
	for _, path := range []string{"/v0/orders", "/v0/orders/o-1"} {
		resp, body := get(path)
		if resp.StatusCode != http.StatusGone || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("GET %s = %s %q %s", path, resp.Status, resp.Header.Get("Content-Type"), body)
		}
		var p map[string]any
		_ = json.Unmarshal(body, &p)
		if p["errorType"] != "API.Retired" || p["version"] != "v0" || p["sunset"] != "2026-01-31T00:00:00Z" || p["migration"] != guide {
			t.Errorf("GET %s problem = %v", path, p)
		}
	}
	rt.Stop(t)

	// Who called the deprecated and retired versions.
	cmd := exec.Command(cli, "api", "lifecycle", "--json", "--data-dir", rt.DataDir)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("api lifecycle: %v\n%s", err, out)
	}
	var rep struct {
		APIs []struct {
			Name, Version, State string
			Calls                []struct {
				Client string
				Calls  int
				Last   string
			}
		}
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	seen := map[string]bool{}
	for _, a := range rep.APIs {
		if a.Name != "orders" {
			continue
		}
		seen[a.Version] = true
		switch a.Version {
		case "v1", "v0":
			// The first call of the day of a client is written at once;
			// the rest wait for the minute's flush (see the unit tests).
			if len(a.Calls) != 1 || a.Calls[0].Client != "anon:127.0.0.1" || a.Calls[0].Calls < 1 || a.Calls[0].Last != today {
				t.Errorf("orders %s calls = %+v, want anon:127.0.0.1 today", a.Version, a.Calls)
			}
		case "v2":
			if a.State != "active" || len(a.Calls) != 0 {
				t.Errorf("orders v2 = %+v", a)
			}
		}
	}
	if len(seen) != 3 {
		t.Fatalf("api lifecycle lists orders %v\n%s", seen, out)
	}
}
