// Package orderview_test drives the order read model through the real CLI
// and local runtime: saga events posted to event-gateway reach the
// order-query function's queue through the bus, are stored in the event
// store and projected; GET /orders answers from the model; after the
// runtime stops, `cogniforge projections status` and `rebuild` (from
// scratch, --as-of and --from-archive) and rollback work on its data
// directory.
package orderview_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/apispec"
	"github.com/cogniforge/cogniforge/test/testenv"
)

var cli string // the cogniforge binary, built by TestMain

func TestMain(m *testing.M) { os.Exit(testenv.MainWithCLI(m, &cli)) }

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return testenv.Run(t, cli, args...)
}

type order struct {
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	Status     string `json:"status"`
	Events     int    `json:"events"`
}

func TestGatewayToOrderQueryAndRebuild(t *testing.T) {
	repo, _ := filepath.Abs("../..")
	rt := testenv.StartRuntime(t, cli, "--config", filepath.Join(repo, "config"), "--statemachines", "")
	dataDir, addr := rt.DataDir, rt.Addr
	// Every call to the gateway and the order API is checked against
	// their specs (api/*.yaml).
	apis, err := apispec.NewRuntime()
	if err != nil {
		t.Fatal(err)
	}
	hc := apis.Client()
	defer apis.Report(t, "order-query", "event-gateway")
	token, err := os.ReadFile(filepath.Join(dataDir, "api.token"))
	if err != nil {
		t.Fatal(err)
	}
	post := func(id, typ, data string) {
		t.Helper()
		req, _ := http.NewRequest("POST", "http://"+addr+"/functions/event-gateway", strings.NewReader(data))
		req.Header.Set("ce-specversion", "1.0")
		req.Header.Set("ce-id", id)
		req.Header.Set("ce-source", "cogniforge/saga/order-fulfillment")
		req.Header.Set("ce-type", typ)
		req.Header.Set("content-type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("gateway answered %s to %s: %s", resp.Status, id, body)
		}
	}
	list := func(query string) ([]order, int) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+addr+"/functions/order-query/orders"+query, nil)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v struct {
			Orders []order `json:"orders"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return v.Orders, resp.StatusCode
	}
	const started = "dev.cogniforge.saga.started.v1"
	post("o-1/saga/started", started, `{"sagaId":"o-1","saga":"order-fulfillment","steps":["inventory"],"input":{"orderId":"o-1","customerId":"c-1","items":[{"sku":"sku-1","quantity":2}]}}`)
	post("o-2/saga/started", started, `{"sagaId":"o-2","saga":"order-fulfillment","steps":["inventory"],"input":{"orderId":"o-2","customerId":"c-1","items":[{"sku":"sku-2","quantity":1}]}}`)
	post("o-1/inventory/forward/succeeded", "dev.cogniforge.saga.step.succeeded.v1", `{"sagaId":"o-1","saga":"order-fulfillment","step":"inventory","phase":"forward","attempt":1}`)
	post("o-1/saga/completed", "dev.cogniforge.saga.completed.v1", `{"sagaId":"o-1","saga":"order-fulfillment"}`)
	post("o-1/saga/completed", "dev.cogniforge.saga.completed.v1", `{"sagaId":"o-1","saga":"order-fulfillment"}`) // published twice
	rt.Until(t, "o-1 is completed in the model", func() bool {
		got, code := list("?status=completed")
		return code == 200 && len(got) == 1 && got[0].OrderID == "o-1"
	})
	if _, code := list("?status=lost"); code != 400 {
		t.Errorf("GET /orders?status=lost = %d, want 400", code)
	}
	byCustomer, _ := list("?customer=c-1")
	if len(byCustomer) != 2 || byCustomer[0].Events != 3 || byCustomer[1].Status != "pending" {
		t.Errorf("orders of c-1 = %+v; want o-1 (3 events, the repeat dropped) and o-2 pending", byCustomer)
	}
	for path, want := range map[string]int{"/orders/o-1": 200, "/orders/o-9": 422, "/orders?limit=1&generation=g1": 200, "/orders?limit=lots": 400} {
		req, _ := http.NewRequest("GET", "http://"+addr+"/functions/order-query"+path, nil)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %s, want %d", path, resp.Status, want)
		}
	}
	rt.Stop(t)

	out, errOut, code := run(t, "projections", "status", "--data-dir", dataDir, "--json")
	if code != 0 || !strings.Contains(out, `"position": 4`) || !strings.Contains(out, `"lag": 0`) {
		t.Fatalf("projections status = %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = run(t, "projections", "rebuild", "orders", "--data-dir", dataDir)
	if code != 0 || !strings.Contains(out, "4 events applied") || !strings.Contains(out, "generation g2 is now active") {
		t.Fatalf("projections rebuild = %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = run(t, "projections", "rebuild", "orders", "--as-of", "2000-01-01T00:00:00Z", "--data-dir", dataDir, "--json")
	if code != 0 || !strings.Contains(out, `"events": 0`) || !strings.Contains(out, `"skipped": 4`) {
		t.Fatalf("projections rebuild --as-of = %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := run(t, "projections", "rebuild", "payments", "--data-dir", dataDir); code != 2 || !strings.Contains(errOut, `no read model "payments"`) {
		t.Fatalf("unknown read model: %d %s", code, errOut)
	}

	// From the event archive the runtime kept (DIR/archive): the same
	// four events (the repeat delivery archived too, dropped by id), made
	// active; g2, the previous generation, is kept, and rollback returns
	// to it.
	out, errOut, code = run(t, "projections", "rebuild", "orders", "--from-archive", "--activate", "--data-dir", dataDir)
	if code != 0 || !strings.Contains(out, "4 events applied") || !strings.Contains(out, "generation g4 is now active") || !strings.Contains(out, "kept previous generations g2") {
		t.Fatalf("projections rebuild --from-archive = %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = run(t, "projections", "status", "--data-dir", dataDir)
	if code != 0 || !strings.Contains(out, "g4          live") || !strings.Contains(out, "g2          previous") || !strings.Contains(out, "g3          view") {
		t.Fatalf("projections status = %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = run(t, "projections", "rollback", "orders", "--data-dir", dataDir)
	if code != 0 || !strings.Contains(out, "generation g2 is active again") {
		t.Fatalf("projections rollback = %d\n%s%s", code, out, errOut)
	}
}
