package apispec_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/apispec"
	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/chaos"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
	"github.com/cogniforge/cogniforge/pkg/registry"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func build(t *testing.T, name string) faas.Function {
	t.Helper()
	return buildWith(t, name, wiring.ChaosPorts{})
}

func buildWith(t *testing.T, name string, chaosPorts wiring.ChaosPorts) faas.Function {
	t.Helper()
	cat, err := events.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	e, err := registry.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	fn, err := e.Build(wiring.Ports{
		Store: memory.New(memory.Config{}), Bus: &bustest.Recorder{}, Catalog: cat,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Functions: registry.Names(), Chaos: chaosPorts,
	})
	if err != nil {
		t.Fatal(err)
	}
	return fn
}

type call struct {
	method, path, body string
	want               int
}

func do(t *testing.T, c *http.Client, base string, k call) []byte {
	t.Helper()
	var body io.Reader
	if k.body != "" {
		body = strings.NewReader(k.body)
	}
	req, err := http.NewRequest(k.method, base+k.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if k.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != k.want {
		t.Errorf("%s %s: %d %s, want %d", k.method, k.path, res.StatusCode, b, k.want)
	}
	return b
}

// The incident API's traffic, through the RoundTripper, agrees with
// incidents.v1.yaml, including the refusals.
func TestIncidentTrafficAgreesWithSpec(t *testing.T) {
	v, err := apispec.New(apispec.Config{Function: "incident-manager"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(cehttp.NewHandler(build(t, "incident-manager")))
	defer srv.Close()
	c := &http.Client{Transport: v.RoundTripper(nil)}

	b := do(t, c, srv.URL, call{"POST", "/incidents", `{"id":"a1","title":"checkout down","dedupKey":"checkout","service":"checkout","severity":"SEV2"}`, 200})
	var opened struct {
		Incident struct{ ID string } `json:"incident"`
	}
	if err := json.Unmarshal(b, &opened); err != nil || opened.Incident.ID == "" {
		t.Fatalf("open: %s %v", b, err)
	}
	id := opened.Incident.ID
	for _, k := range []call{
		{"GET", "/incidents?state=triggered", "", 200},
		{"GET", "/incidents/metrics", "", 200},
		{"GET", "/incidents/" + id, "", 200},
		{"POST", "/incidents/" + id + "/ack", `{"by":"alice"}`, 200},
		{"POST", "/incidents/" + id + "/notes", `{"by":"alice","text":"rolled back"}`, 200},
		{"POST", "/incidents/" + id + "/resolve", `{"by":"alice","text":"fixed"}`, 200},
		{"PUT", "/incidents/" + id + "/review", `{"by":"alice","review":{"summary":"bad deploy","actionItems":[{"title":"canary","owner":"bob","due":"2027-01-31"}]}}`, 200},
		{"GET", "/incidents/" + id + "/review.md", "", 200},
		{"GET", "/incidents/inc-none", "", 422},
		{"GET", "/incidents?since=yesterday", "", 400},
		{"POST", "/incidents/" + id + "/ack", `{"by":`, 400},
	} {
		do(t, c, srv.URL, k)
	}
	v.Report(t, true)
	if n := len(v.Calls()); n < 8 {
		t.Errorf("%d operations validated, want every one called: %v", n, v.Calls())
	}
}

// What the implementation does that the spec does not say is reported,
// naming the operation: an undocumented status, a body of the wrong
// shape, a path no operation serves.
func TestViolationsNameTheOperation(t *testing.T) {
	h := http.NewServeMux()
	h.HandleFunc("GET /breakers", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"breakers":[],"bulkheads":[],"extra":1}`)
	})
	h.HandleFunc("POST /breakers/{name}/force", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})
	h.HandleFunc("GET /nothing", func(w http.ResponseWriter, r *http.Request) {})
	for _, tc := range []struct {
		name            string
		call            call
		op, wantProblem string
	}{
		{"extra field", call{"GET", "/breakers", "", 200}, "GET /breakers", "extra"},
		{"undocumented status", call{"POST", "/breakers/b1/force", `{"mode":"open"}`, 418}, "POST /breakers/{name}/force", "status is not supported"},
		{"unknown route", call{"GET", "/nothing", "", 200}, "GET /nothing", "no operation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := apispec.New(apispec.Config{Function: "resilience-admin", BasePath: "/functions/resilience-admin"})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(http.StripPrefix("/functions/resilience-admin", h))
			defer srv.Close()
			c := &http.Client{Transport: v.RoundTripper(nil)}
			do(t, c, srv.URL+"/functions/resilience-admin", tc.call)
			vs := v.Violations()
			if len(vs) == 0 {
				t.Fatal("no violation")
			}
			if vs[0].Operation != tc.op || !strings.Contains(vs[0].Problem, tc.wantProblem) {
				t.Errorf("violation %v: want operation %q and a problem naming %q", vs[0], tc.op, tc.wantProblem)
			}
			if len(vs[0].Problem) > 400 {
				t.Errorf("problem of %d characters: %s", len(vs[0].Problem), vs[0].Problem)
			}
			t.Log(vs[0])
			if vs[0].Operation != "GET /nothing" && vs[0].API != "resilience/v1" {
				t.Errorf("api %q", vs[0].API)
			}
		})
	}
}

// Handler validates what a handler serves, as the RoundTripper does.
func TestHandler(t *testing.T) {
	v, err := apispec.New(apispec.Config{Function: "resilience-admin"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(v.Handler(cehttp.NewHandler(build(t, "resilience-admin"))))
	defer srv.Close()
	do(t, srv.Client(), srv.URL, call{"GET", "/breakers", "", 200})
	do(t, srv.Client(), srv.URL, call{"POST", "/breakers/payments-api/force", `{"mode":"open","for":"5m"}`, 200})
	do(t, srv.Client(), srv.URL, call{"POST", "/breakers/x/force", `{"mode":"sideways"}`, 400})
	v.Report(t, true)
}

func TestNewRefusesUnknownFunction(t *testing.T) {
	if _, err := apispec.New(apispec.Config{Function: "no-such-function"}); err == nil {
		t.Error("no error")
	}
	if _, err := apispec.New(apispec.Config{}); err == nil {
		t.Error("no error without a function")
	}
}

// The chaos API's traffic agrees with chaos.v1.yaml.
func TestChaosTrafficAgreesWithSpec(t *testing.T) {
	v, err := apispec.New(apispec.Config{Function: "chaos-injector"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(v.Handler(cehttp.NewHandler(buildWith(t, "chaos-injector", wiring.ChaosPorts{Store: &chaos.MemoryStore{}}))))
	defer srv.Close()
	for _, k := range []call{
		{"POST", "/faults", `{"function":"payment","fault":"latency","latency":"200ms","rate":0.2,"for":"10m","createdBy":"alice"}`, 200},
		{"POST", "/faults", `{"function":"payment","fault":"error","errorName":"Chaos.Injected","for":"5m","match":[{"field":"data.orderId","op":"prefix","value":"o-"}],"experiment":"exp-1"}`, 200},
		{"GET", "/faults", "", 200},
		{"GET", "/faults?function=payment&experiment=exp-1", "", 200},
		{"POST", "/faults", `{"function":"payment","fault":"latency","for":"10m","color":"red"}`, 400},
		{"POST", "/faults/clear", `{"experiment":"exp-1"}`, 200},
		{"POST", "/faults/clear", "", 200},
	} {
		do(t, srv.Client(), srv.URL, k)
	}
	v.Report(t, true)
	if n := len(v.Calls()); n != 3 {
		t.Errorf("%d operations validated, want 3: %v", n, v.Calls())
	}
}

// The gateway's CloudEvents traffic, in every content mode, agrees with
// event-gateway.v1.yaml.
func TestGatewayTrafficAgreesWithSpec(t *testing.T) {
	v, err := apispec.New(apispec.Config{Function: "event-gateway"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(cehttp.NewHandler(build(t, "event-gateway")))
	defer srv.Close()
	c := &http.Client{Transport: v.RoundTripper(nil)}
	const data = `{"service":"checkout","operation":"POST /orders","status":"ok","durationMs":42}`
	post := func(ct string, headers map[string]string, body string, want int) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("%s: %d %s, want %d", ct, res.StatusCode, b, want)
		}
	}
	binary := map[string]string{"ce-specversion": "1.0", "ce-id": "b-1", "ce-source": "//checkout", "ce-type": "dev.cogniforge.request.completed.v1"}
	post("application/json", binary, data, 200)
	post("application/cloudevents+json", nil, `{"specversion":"1.0","id":"s-1","source":"//checkout","type":"dev.cogniforge.request.completed.v1","datacontenttype":"application/json","correlationid":"c-1","data":`+data+`}`, 200)
	post("application/cloudevents-batch+json", nil, `[{"specversion":"1.0","id":"s-2","source":"//checkout","type":"dev.cogniforge.request.completed.v1","data":`+data+`},`+
		`{"specversion":"1.0","id":"s-3","source":"//checkout","type":"dev.cogniforge.request.completed.v1","data":`+data+`}]`, 200)
	post("application/cloudevents-batch+json", nil, `[{"specversion":"1.0","id":"s-4","source":"//checkout","type":"dev.cogniforge.request.completed.v1","data":`+data+`},`+
		`{"specversion":"1.0","id":"s-5","source":"//checkout","type":"dev.cogniforge.request.completed.v1","data":{"service":"checkout"}}]`, 207)
	post("application/cloudevents+json", nil, `{"specversion":"1.0","id":"s-6","source":"//checkout","type":"dev.cogniforge.no.such.type.v1","data":{}}`, 400)
	post("application/json", map[string]string{"ce-specversion": "1.0", "ce-id": "b-2", "ce-source": "//checkout"}, data, 400)
	v.Report(t, true)
}
