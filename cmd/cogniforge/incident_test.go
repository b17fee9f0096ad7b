package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIncidentSimulate(t *testing.T) {
	alert := filepath.Join(t.TempDir(), "alert.json")
	// An SLO page at 2026-03-30 09:30 Berlin: a Monday, dave's office hours.
	if err := os.WriteFile(alert, []byte(`{"specversion":"1.0","id":"a1","source":"cogniforge/slo-evaluator","type":"dev.cogniforge.slo.alert.firing.v1",
"time":"2026-03-30T07:30:00Z","datacontenttype":"application/json","correlationid":"a1",
"data":{"slo":"checkout-availability","service":"checkout","severity":"page","state":"firing","rule":"1h/5m","windows":["1h","5m"],
"burnRate":{"long":16,"short":200},"threshold":14.4,"target":0.999,"budgetRemaining":0.9,"since":"2026-03-30T07:30:00Z","dedupKey":"slo/checkout-availability/page"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"acked at 12m", []string{"--ack-after", "12m"}, 0,
			`{"at":"0s","level":1,"target":"dave","channel":"slack"}
{"at":"0s","level":1,"target":"dave","channel":"webhook"}
{"at":"5m0s","level":2,"target":"ines","channel":"pagerduty"}
{"at":"5m0s","level":2,"target":"alice","channel":"pagerduty"}
`},
		{"acked at once", []string{"--ack-after", "1s"}, 0,
			`{"at":"0s","level":1,"target":"dave","channel":"slack"}
{"at":"0s","level":1,"target":"dave","channel":"webhook"}
`},
		{"negative ack", []string{"--ack-after", "-1m"}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append([]string{"simulate", "--policy", "../../config/oncall/policies.yaml", "--schedules", "../../config/oncall/schedules.yaml", "--alert", alert}, tt.args...)
			code := commands["incident"].run(context.Background(), args, nil, &out, &errOut)
			if code != tt.code || out.String() != tt.want {
				t.Errorf("exit %d, stdout:\n%s\nstderr: %s\nwant exit %d and:\n%s", code, out.String(), errOut.String(), tt.code, tt.want)
			}
		})
	}
	var errOut bytes.Buffer
	bad := filepath.Join(t.TempDir(), "p.yaml")
	_ = os.WriteFile(bad, []byte("policies:\n  - name: x\n    levels:\n      - targets: [{schedule: nope}]\n        channels: [slack]\n"), 0o600)
	if code := commands["incident"].run(context.Background(), []string{"simulate", "--policy", bad, "--schedules", "../../config/oncall/schedules.yaml", "--alert", alert}, nil, &bytes.Buffer{}, &errOut); code != 2 || !strings.Contains(errOut.String(), `no schedule "nope"`) {
		t.Errorf("a policy naming a missing schedule: exit %d, %q", code, errOut.String())
	}
}
