package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/projection"
)

// TestProjectionsGenerations: rebuilds keep the live and the previous
// generation and delete older ones (here with no grace period), status
// shows each generation's state and items, rollback switches back and
// forth, cleanup deletes what the retention lets go.
func TestProjectionsGenerations(t *testing.T) {
	dir := t.TempDir()
	seedOrders(t, dir)
	for i := range 2 {
		code, out, errOut := runProjCLI("projections", "rebuild", "orders", "--grace", "0", "--data-dir", dir)
		if code != 0 {
			t.Fatalf("rebuild %d = %d %s %s", i, code, out, errOut)
		}
		if i == 1 && !strings.Contains(out, "deleted old generations g1 (") || !strings.Contains(out, "kept previous generations g") {
			t.Fatalf("rebuild %d printed %q", i, out)
		}
	}
	status := func() []projection.GenerationStatus {
		t.Helper()
		code, out, errOut := runProjCLI("projections", "status", "--data-dir", dir, "--json")
		var st struct{ Projections []projection.Status }
		if code != 0 || json.Unmarshal([]byte(out), &st) != nil || len(st.Projections) != 1 {
			t.Fatalf("status = %d %s %s", code, out, errOut)
		}
		return st.Projections[0].Kept
	}
	// Two orders: each in orders, in its status, in its customer's.
	gens := status()
	if len(gens) != 2 || gens[0].Generation != "g3" || gens[0].State != "live" || gens[0].Items != 6 ||
		gens[1].Generation != "g2" || gens[1].State != "previous" || gens[1].Items != 6 {
		t.Fatalf("generations after two rebuilds: %+v", gens)
	}
	code, out, _ := runProjCLI("projections", "status", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "orders  g3          live      3         6") || !strings.Contains(out, "g2          previous") {
		t.Fatalf("status table:\n%s", out)
	}

	code, out, errOut := runProjCLI("projections", "rollback", "orders", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "generation g2 is active again (g3 is now the previous one)") {
		t.Fatalf("rollback = %d %q %s", code, out, errOut)
	}
	if gens := status(); gens[1].Generation != "g2" || gens[1].State != "live" || gens[0].State != "previous" {
		t.Fatalf("after rollback: %+v", gens)
	}
	code, out, errOut = runProjCLI("projections", "cleanup", "orders", "--keep", "0", "--grace", "0", "--data-dir", dir, "--json")
	var rep projection.CleanupReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || strings.Join(rep.Deleted, ",") != "g3" || rep.Items != 6 || !rep.Done {
		t.Fatalf("cleanup = %d %s %s", code, out, errOut)
	}
	if gens := status(); len(gens) != 1 || gens[0].Generation != "g2" {
		t.Fatalf("after cleanup: %+v", gens)
	}
	code, _, errOut = runProjCLI("projections", "rollback", "orders", "--data-dir", dir)
	if code != 1 || !strings.Contains(errOut, "no previous generation") {
		t.Fatalf("rollback with none kept = %d %s", code, errOut)
	}
	code, out, _ = runProjCLI("projections", "cleanup", "orders", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "nothing to delete") {
		t.Fatalf("cleanup again = %d %q", code, out)
	}
	for _, args := range [][]string{
		{"cleanup", "orders", "--keep", "-1"},
		{"rebuild", "orders", "--grace", "-1s"},
		{"rollback"},
		{"cleanup", "invoices"},
	} {
		if code, _, errOut := runProjCLI(append(append([]string{"projections"}, args...), "--data-dir", dir)...); code != 2 {
			t.Errorf("%v = %d %s, want 2", args, code, errOut)
		}
	}
}
