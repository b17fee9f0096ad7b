package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/events"
)

const diffData = "../../pkg/apidiff/testdata/"

func apiCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), append([]string{"api"}, args...), strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

type diffJSON struct {
	Breaking []struct {
		ID, Operation, Message string
		Callers                *[]struct {
			Caller   string
			Calls    int
			LastSeen time.Time
		}
	}
	NonBreaking []struct{ ID, Operation, Message string }
}

func requestCompleted(t *testing.T, id, service, op, caller string, at time.Time) cloudevents.Event {
	t.Helper()
	ev, err := events.New(context.Background(), events.TypeRequestCompleted, "test/traffic",
		events.RequestCompleted{Service: service, Operation: op, Status: events.StatusOK, DurationMs: 1, Caller: caller}, events.Time(at))
	if err != nil {
		t.Fatal(err)
	}
	ev.SetID(id)
	return ev
}

func TestAPIDiffContract(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		breaking string
	}{
		{"breaking", []string{"diff", "--format", "json", diffData + "base.yaml", diffData + "cases/breaking-new-required-parameter.yaml"}, 1, "new-required-request-parameter"},
		{"flags after", []string{"diff", diffData + "base.yaml", diffData + "cases/breaking-removed-enum-value.yaml", "--format", "json"}, 1, "request-parameter-enum-value-removed"},
		{"non-breaking", []string{"diff", "--format", "json", diffData + "base.yaml", diffData + "cases/nonbreaking-added-operation.yaml"}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := apiCLI(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			var d diffJSON
			if err := json.Unmarshal([]byte(out), &d); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, out)
			}
			if tc.breaking == "" {
				if len(d.Breaking) != 0 || len(d.NonBreaking) == 0 {
					t.Fatalf("want only non-breaking changes: %s", out)
				}
				return
			}
			if len(d.Breaking) != 1 || d.Breaking[0].ID != tc.breaking || d.Breaking[0].Operation != "GET /orders" || d.Breaking[0].Message == "" {
				t.Fatalf("breaking = %+v, want one %s on GET /orders", d.Breaking, tc.breaking)
			}
			if d.Breaking[0].Callers != nil {
				t.Errorf("callers without traffic: %s", out)
			}
		})
	}
}

func TestAPIDiffBadInput(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.yaml")
	os.WriteFile(huge, append([]byte("openapi: 3.1.0\n#"), bytes.Repeat([]byte("x"), 50<<20)...), 0o644)
	badTraffic := filepath.Join(dir, "traffic.jsonl")
	os.WriteFile(badTraffic, []byte("{nope\n"), 0o644)
	base := diffData + "base.yaml"
	for name, args := range map[string][]string{
		"not openapi":    {"diff", base, diffData + "bad-not-openapi.yaml"},
		"unresolved ref": {"diff", diffData + "bad-unresolved-ref.yaml", base},
		"missing file":   {"diff", base, filepath.Join(dir, "nope.yaml")},
		"50 MB":          {"diff", base, huge},
		"one file":       {"diff", base},
		"bad format":     {"diff", "--format", "xml", base, base},
		"bad days":       {"diff", "--days", "0", base, base},
		"bad traffic":    {"diff", "--traffic", badTraffic, "--api", "orders", base, base},
		"no api":         {"diff", "--traffic", badTraffic, base, base},
		"no store":       {"diff", "--data-dir", dir, "--api", "orders", base, base},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := apiCLI(t, args...)
			if code != 2 || !strings.HasPrefix(errOut, "cogniforge api diff") {
				t.Fatalf("exit %d, want 2 with an error\nstdout: %s\nstderr: %s", code, out, errOut)
			}
		})
	}
	if code, _, _ := apiCLI(t, "diff", "--help"); code != 0 {
		t.Fatalf("--help exit %d", code)
	}
}

// TestAPIDiffClientImpact: three callers use the orders API; the new
// version removes DELETE /orders/{id}; only its callers within --days are
// named, from a traffic file and from a data directory's event archive.
func TestAPIDiffClientImpact(t *testing.T) {
	now := time.Now().UTC()
	evs := []cloudevents.Event{
		requestCompleted(t, "1", "orders", "DELETE /orders/7", "billing", now.Add(-2*time.Hour)),
		requestCompleted(t, "2", "orders", "DELETE /orders/{id}", "billing", now.Add(-time.Hour)),
		requestCompleted(t, "3", "orders", "deleteOrder", "support", now.Add(-3*24*time.Hour)),
		requestCompleted(t, "4", "orders", "GET /orders", "web", now.Add(-time.Hour)),
		requestCompleted(t, "5", "orders", "DELETE /orders/{id}", "web", now.Add(-10*24*time.Hour)), // older than --days 7
	}
	dir := t.TempDir()
	traffic := filepath.Join(dir, "traffic.jsonl")
	var buf bytes.Buffer
	for _, e := range evs {
		b, _ := json.Marshal(e)
		buf.Write(append(b, '\n'))
	}
	os.WriteFile(traffic, buf.Bytes(), 0o644)
	dataDir := filepath.Join(dir, "data")
	archived(t, dataDir, evs...)

	for name, src := range map[string][]string{
		"traffic file": {"--traffic", traffic},
		"archive":      {"--data-dir", dataDir},
	} {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"diff", "--format", "json", "--days", "7", "--api", "orders"}, src...)
			args = append(args, diffData+"base.yaml", diffData+"cases/breaking-removed-operation.yaml")
			code, out, errOut := apiCLI(t, args...)
			if code != 1 {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			var d diffJSON
			if err := json.Unmarshal([]byte(out), &d); err != nil {
				t.Fatal(err)
			}
			if len(d.Breaking) != 1 || d.Breaking[0].Callers == nil {
				t.Fatalf("breaking = %s", out)
			}
			got := map[string]int{}
			for _, c := range *d.Breaking[0].Callers {
				got[c.Caller] = c.Calls
			}
			if len(got) != 2 || got["billing"] != 2 || got["support"] != 1 {
				t.Fatalf("callers = %v, want billing 2 and support 1 (web's call is too old, its other one another operation)\n%s", got, out)
			}
		})
	}
	// The text format names them too.
	code, out, _ := apiCLI(t, "diff", "--days", "7", "--api", "orders", "--traffic", traffic, diffData+"base.yaml", diffData+"cases/breaking-removed-operation.yaml")
	if code != 1 || !strings.Contains(out, "billing (2 calls") || strings.Contains(out, "web") {
		t.Fatalf("text output (exit %d):\n%s", code, out)
	}
}
