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

	"github.com/cogniforge/cogniforge/pkg/chaos"
	"github.com/cogniforge/cogniforge/pkg/chaos/chaosfile"
)

func chaosCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := dispatch(context.Background(), append([]string{"chaos"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func listFaults(t *testing.T, dir string) []chaos.Fault {
	t.Helper()
	code, out, errs := chaosCLI(t, "list", "--data-dir", dir, "--json")
	if code != 0 {
		t.Fatalf("chaos list: %d %s", code, errs)
	}
	var faults []chaos.Fault
	if err := json.Unmarshal([]byte(out), &faults); err != nil {
		t.Fatalf("chaos list --json printed %q: %v", out, err)
	}
	return faults
}

// The contract: exit 0 when stored, 2 when invalid with nothing
// stored; list --json is an array of the active faults; clear by function.
func TestChaosInjectListClear(t *testing.T) {
	dir := t.TempDir()
	if got := listFaults(t, dir); len(got) != 0 {
		t.Fatalf("fresh data dir lists %v", got)
	}
	bad := [][]string{
		{"--function", "payment", "--fault", "error", "--rate", "1.5", "--for", "5m"},
		{"--function", "payment", "--fault", "error", "--rate", "-0.1", "--for", "5m"},
		{"--function", "payment", "--fault", "error"},
		{"--function", "payment", "--fault", "error", "--for", "25h"},
		{"--function", "payment", "--fault", "error", "--for", "2h", "--max-duration", "1h"},
		{"--function", "no-such-function", "--fault", "error", "--for", "5m"},
		{"--function", "payment", "--fault", "explode", "--for", "5m"},
		{"--function", "payment", "--fault", "status", "--status", "200", "--for", "5m"},
		{"--function", "payment", "--fault", "deny", "--for", "5m"},
		{"--function", "payment", "--fault", "error", "--for", "5m", "--blast-radius", "extensive"},
		{"--function", "payment", "--fault", "error", "--for", "5m", "--match", "data.x~=("},
		{"--function", "payment", "--fault", "error", "--rate", "lots", "--for", "5m"},
	}
	for _, args := range bad {
		code, out, errs := chaosCLI(t, append(append([]string{"inject"}, args...), "--data-dir", dir)...)
		if code != 2 || out != "" || errs == "" {
			t.Errorf("inject %v: exit %d, stdout %q, stderr %q; want 2 and a reason", args, code, out, errs)
		}
	}
	if got := listFaults(t, dir); len(got) != 0 {
		t.Fatalf("invalid requests stored %v", got)
	}
	good := [][]string{
		{"--function", "payment", "--fault", "error", "--rate", "0.5", "--for", "10m", "--error-name", "Saga.TransientError", "--retryable"},
		{"--function", "shipping", "--fault", "latency", "--latency", "200ms", "--latency-max", "1s", "--for", "1h", "--blast-radius", "limited"},
		{"--function", "inventory", "--fault", "timeout", "--for", "24h"},
		{"--function", "event-gateway", "--fault", "status", "--status", "503", "--for", "1m", "--match", "data.service=checkout", "--event-type", "dev.cogniforge.request.completed.v1"},
		{"--function", "order", "--fault", "deny", "--hosts", "api.example.com", "--services", "DynamoDB", "--deny-mode", "partition", "--for", "1m", "--dry-run"},
		{"--function", "order", "--fault", "error", "--for", "1m", "--blast-radius", "extensive", "--approved-by", "alice"},
	}
	for _, args := range good {
		code, out, errs := chaosCLI(t, append(append([]string{"inject"}, args...), "--data-dir", dir)...)
		var f chaos.Fault
		if code != 0 || json.Unmarshal([]byte(out), &f) != nil || f.ID == "" || f.ExpiresAt.IsZero() {
			t.Fatalf("inject %v: exit %d, %q, %s", args, code, out, errs)
		}
	}
	faults := listFaults(t, dir)
	if len(faults) != len(good) {
		t.Fatalf("listed %d faults, want %d", len(faults), len(good))
	}
	if f := faults[0]; f.Function != "event-gateway" && f.Function != "order" {
		t.Fatalf("list is not by expiry: first %+v", f)
	}
	// An expired fault is not listed.
	if err := (chaosfile.Store{Dir: dir}).Update(context.Background(), func(d *chaos.Document) error {
		d.Faults = append(d.Faults, chaos.Fault{ID: "old", Function: "payment", Kind: chaos.KindError, ExpiresAt: time.Now().Add(-time.Second)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := listFaults(t, dir); len(got) != len(good) {
		t.Fatalf("expired fault listed: %d", len(got))
	}
	if code, _, errs := chaosCLI(t, "clear", "--function", "order", "--data-dir", dir); code != 0 {
		t.Fatalf("clear: %d %s", code, errs)
	}
	if got := listFaults(t, dir); len(got) != len(good)-2 {
		t.Fatalf("after clearing order: %d faults", len(got))
	}
	if code, _, _ := chaosCLI(t, "clear", "--function", "nope", "--data-dir", dir); code != 2 {
		t.Fatalf("clear of an unknown function: exit %d", code)
	}
	if code, _, _ := chaosCLI(t, "clear", "--data-dir", dir); code != 0 {
		t.Fatal("clear all failed")
	}
	if got := listFaults(t, dir); len(got) != 0 {
		t.Fatalf("after clearing all: %v", got)
	}
	if code, out, _ := chaosCLI(t, "--help"); code != 0 || !strings.Contains(out, "chaos inject") {
		t.Fatalf("--help: %d", code)
	}
}

// A fault in a data directory applies to `invoke` on that directory, and
// not once it is cleared.
func TestChaosAppliesToInvoke(t *testing.T) {
	dir := t.TempDir()
	payload := filepath.Join(dir, "task.json")
	task := `{"sagaId":"o-9","saga":"order-fulfillment","step":"payment","phase":"forward","input":{"orderId":"o-9","customerId":"c","items":[{"sku":"s","quantity":1}],"payment":{"token":"tok_ok"},"shipping":{"address":{"country":"DE"}}}}`
	if err := os.WriteFile(payload, []byte(task), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := chaosCLI(t, "inject", "--function", "payment", "--fault", "error", "--error-name", "Chaos.PaymentDown", "--for", "5m", "--data-dir", dir); code != 0 {
		t.Fatal(errs)
	}
	var out, errb bytes.Buffer
	code := dispatch(context.Background(), []string{"invoke", "payment", "--payload", payload, "--data-dir", dir}, strings.NewReader(""), &out, &errb)
	if code != 1 || !strings.Contains(out.String(), "Chaos.PaymentDown") {
		t.Fatalf("invoke with the fault: exit %d, %s %s", code, out.String(), errb.String())
	}
}
