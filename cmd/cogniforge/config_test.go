package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigCommands(t *testing.T) {
	dir := t.TempDir()
	steps := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"get before any set", []string{"get", "--env", "dev", "--function", "order", "timeout"}, 2, ""}, // no store yet
		{"set v1", []string{"set", "--env", "dev", "--function", "order", "timeout", "5s"}, 0, `"version": 1`},
		{"set v2 by FUNCTION/KEY", []string{"set", "--env", "dev", "order/timeout", "9s"}, 0, `"version": 2`},
		{"get latest", []string{"get", "--env", "dev", "--function", "order", "timeout"}, 0, `"Value": "9s"`},
		{"get by full path", []string{"get", "--env", "dev", "/cogniforge/dev/order/timeout", "--version", "1"}, 0, `"Value": "5s"`},
		{"rollback", []string{"rollback", "--env", "dev", "--function", "order", "timeout"}, 0, `"version": 3`},
		{"get after rollback", []string{"get", "--env", "dev", "order/timeout"}, 0, `"Value": "5s"`},
		{"history", []string{"history", "--env", "dev", "order/timeout"}, 0, `"Version":3`},
		{"missing key", []string{"get", "--env", "dev", "order/nope"}, 1, ""},
		{"unknown env", []string{"set", "--env", "qa", "order/timeout", "1s"}, 2, ""},
		{"out of scope path", []string{"get", "--env", "dev", "--function", "order", "/cogniforge/dev/payment/timeout"}, 2, ""},
		{"other env path", []string{"get", "--env", "dev", "/cogniforge/prod/order/timeout"}, 2, ""},
		{"no env", []string{"get", "order/timeout"}, 2, ""},
		{"key without function", []string{"get", "--env", "dev", "timeout"}, 2, ""},
		{"set without value", []string{"set", "--env", "dev", "order/timeout"}, 2, ""},
		{"bad resilience parameter", []string{"set", "--env", "dev", "order/resilience", "bulkheads: {database: {maxConcurrent: -2}}"}, 2, ""},
		{"resilience parameter not yaml", []string{"set", "--env", "dev", "order/resilience", "downstreams: [nope"}, 2, ""},
		{"help", []string{"--help"}, 0, "usage"},
	}
	for _, s := range steps {
		args := append([]string{"config"}, s.args...)
		if s.name != "help" {
			args = append(args, "--data-dir", dir)
		}
		if s.name == "get before any set" {
			args[len(args)-1] = filepath.Join(dir, "empty")
		}
		code, out, errOut := run(t, args...)
		if code != s.code || !strings.Contains(out, s.out) {
			t.Fatalf("%s: exit %d (want %d), stdout %q should contain %q\nstderr %s", s.name, code, s.code, out, s.out, errOut)
		}
	}
	code, out, errOut := run(t, "secrets", "audit", "--secret", "/cogniforge/dev/order/timeout", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("audit: %d %s", code, errOut)
	}
	var whats []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r struct{ What, Outcome string }
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("audit line %q: %v", l, err)
		}
		whats = append(whats, r.What+"/"+r.Outcome)
	}
	if got := strings.Join(whats, ","); got != "config.set/succeeded,config.set/succeeded,config.get/succeeded,config.get/succeeded,config.rollback/succeeded,config.get/succeeded,config.history/succeeded" {
		t.Fatalf("audit = %s", got)
	}
	if strings.Contains(out, "5s") || strings.Contains(out, "9s") {
		t.Fatal("audit holds a value")
	}
}
