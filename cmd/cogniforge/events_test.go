package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/events"
)

func TestEventsCommand(t *testing.T) {
	dir := t.TempDir()
	example, err := os.ReadFile(filepath.Join("..", "..", "events", "examples", events.TypeRequestCompleted+".json"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", string(example))
	bad := write("bad.json", strings.Replace(string(example), `"durationMs": 42.5`, `"durationMs": "slow"`, 1))
	batch := write("batch.json", "["+string(example)+","+strings.Replace(string(example), `"service": "payments",`, ``, 1)+"]")
	garbage := write("garbage.json", `{"specversion":`)

	tests := []struct {
		name     string
		args     []string
		stdin    string
		code     int
		contains []string
	}{
		{"valid file", []string{"validate", good}, "", 0, []string{good + ": ok"}},
		{"stdin", []string{"validate", "-"}, string(example), 0, []string{"-: ok"}},
		{"invalid field", []string{"validate", good, bad}, "", 1, []string{good + ": ok", bad + ": data.durationMs: "}},
		{"batch", []string{"validate", batch}, "", 1, []string{batch + "[0]: ok", batch + "[1]: data.service: is required"}},
		{"not an event", []string{"validate", garbage}, "", 1, []string{garbage + ": not a structured CloudEvent"}},
		{"missing file", []string{"validate", filepath.Join(dir, "nope.json")}, "", 1, []string{"nope.json: "}},
		{"no files", []string{"validate"}, "", 2, nil},
		{"no verb", nil, "", 2, nil},
		{"unknown verb", []string{"frobnicate"}, "", 2, nil},
		{"list", []string{"list"}, "", 0, []string{events.TypeRequestCompleted + "\n", events.TypeSagaStuck + "\n"}},
		{"schema", []string{"schema", events.TypeSagaStarted}, "", 0, []string{`"sagaId"`}},
		{"schema unknown", []string{"schema", "dev.cogniforge.nope.v1"}, "", 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := commands["events"].run(context.Background(), tt.args, strings.NewReader(tt.stdin), &out, &errOut)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d; stdout %q stderr %q", code, tt.code, out.String(), errOut.String())
			}
			for _, c := range tt.contains {
				if !strings.Contains(out.String(), c) {
					t.Errorf("stdout %q does not contain %q", out.String(), c)
				}
			}
		})
	}
}

// TestEventsValidateExamples runs the command over the whole catalog's
// examples, as CI does with `cogniforge events validate events/examples/*.json`.
func TestEventsValidateExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "examples", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	var out bytes.Buffer
	if code := commands["events"].run(context.Background(), append([]string{"validate"}, files...), nil, &out, &out); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
}
