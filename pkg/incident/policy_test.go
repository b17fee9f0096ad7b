package incident_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/incident"
)

const policyYAML = `policies:
  - name: checkout
    services: [checkout]
    repeat: 1
    levels:
      - targets: [{schedule: primary}, {user: alice}]
        channels: [slack]
        delay: 5m
      - targets: [{schedule: secondary}]
        channels: [pagerduty]
        delay: 10m
    severities:
      SEV1: {channels: [pagerduty, slack, sms]}
      SEV4: {channels: [ticket], levels: 1, repeat: 0}
`

// roster has fixed people on call per schedule, with a handoff at t0+7m
// on primary.
type roster struct{ t0 time.Time }

func (r roster) OnCall(schedule string, at time.Time) ([]string, error) {
	switch schedule {
	case "primary":
		if at.Before(r.t0.Add(7 * time.Minute)) {
			return []string{"bob"}, nil
		}
		return []string{"carol"}, nil
	case "secondary":
		return []string{"dave"}, nil
	}
	return nil, fmt.Errorf("no schedule %q", schedule)
}

func TestPolicySimulate(t *testing.T) {
	p, err := incident.ParsePolicies("policies.yaml", []byte(policyYAML), []string{"primary", "secondary"})
	if err != nil {
		t.Fatal(err)
	}
	pol := p.For("checkout")
	line := func(ns []incident.Notification) string {
		var b []string
		for _, n := range ns {
			b = append(b, fmt.Sprintf("%s %d %s %s", n.At, n.Level, n.Target, n.Channel))
		}
		return strings.Join(b, "; ")
	}
	tests := []struct {
		sev  incident.Severity
		ack  time.Duration
		want string
	}{
		// Level 1 at 0 (bob on primary, alice), level 2 at 5m, then again
		// from 15m (carol is on primary by then) and 20m.
		{incident.SEV2, 0, "0s 1 bob slack; 0s 1 alice slack; 5m0s 2 dave pagerduty; 15m0s 1 carol slack; 15m0s 1 alice slack; 20m0s 2 dave pagerduty"},
		// Acknowledged at 5m: level 2 is not reached.
		{incident.SEV2, 5 * time.Minute, "0s 1 bob slack; 0s 1 alice slack"},
		{incident.SEV2, 6 * time.Minute, "0s 1 bob slack; 0s 1 alice slack; 5m0s 2 dave pagerduty"},
		// SEV1: every channel at every level.
		{incident.SEV1, 5 * time.Minute, "0s 1 bob pagerduty; 0s 1 bob slack; 0s 1 bob sms; 0s 1 alice pagerduty; 0s 1 alice slack; 0s 1 alice sms"},
		// SEV4: only a ticket.
		{incident.SEV4, 0, "0s 1 bob ticket; 0s 1 alice ticket"},
	}
	for _, tt := range tests {
		got, err := pol.Simulate(roster{t0}, nil, tt.sev, t0, tt.ack)
		if err != nil {
			t.Fatal(err)
		}
		if line(got) != tt.want {
			t.Errorf("%s ack %s:\n got %s\nwant %s", tt.sev, tt.ack, line(got), tt.want)
		}
	}
}

func TestPolicyBadInput(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"missing schedule", strings.Replace(policyYAML, "schedule: secondary", "schedule: nightly", 1), `no schedule "nightly"`},
		{"unknown field", strings.Replace(policyYAML, "repeat: 1", "repeats: 1", 1), "repeats"},
		{"no targets", strings.Replace(policyYAML, "targets: [{schedule: secondary}]", "targets: []", 1), "levels[1].targets"},
		{"both target kinds", strings.Replace(policyYAML, "{user: alice}", "{user: alice, schedule: primary}", 1), "exactly one of schedule and user"},
		{"bad delay", strings.Replace(policyYAML, "delay: 5m", "delay: soon", 1), `"soon" is not a duration`},
		{"bad severity", strings.Replace(policyYAML, "SEV4:", "SEV9:", 1), `"SEV9"`},
		{"too many levels", strings.Replace(policyYAML, "levels: 1,", "levels: 3,", 1), "levels: 3 is not between 1 and 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := incident.ParsePolicies("policies.yaml", []byte(tt.yaml), []string{"primary", "secondary"})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "policies.yaml") {
				t.Errorf("error %v, want one naming the file and %q", err, tt.want)
			}
		})
	}
}

// zonedRoster puts primary in Berlin.
type zonedRoster struct{ roster }

func (zonedRoster) Zone(schedule string) (*time.Location, bool) {
	loc, err := time.LoadLocation("Europe/Berlin")
	return loc, err == nil && schedule == "primary"
}

func TestPolicyLocalTimeRules(t *testing.T) {
	yaml := `policies:
  - name: p
    levels:
      - targets: [{schedule: primary}, {user: alice}]
        channels: [slack]
        delay: 5m
        localTime:
          - {from: "22:00", to: "07:00", channels: [sms]}
users:
  alice: {timeZone: America/New_York}
`
	p, err := incident.ParsePolicies("p.yaml", []byte(yaml), []string{"primary"})
	if err != nil {
		t.Fatal(err)
	}
	pol := p.For("x")
	line := func(at time.Time) string {
		ns, err := pol.Simulate(zonedRoster{roster{at.Add(time.Hour)}}, p.Users, incident.SEV2, at, 0)
		if err != nil {
			t.Fatal(err)
		}
		var b []string
		for _, n := range ns {
			b = append(b, n.Target+":"+n.Channel)
		}
		return strings.Join(b, " ")
	}
	tests := []struct {
		at   time.Time
		want string
	}{
		// 21:30 UTC in winter: 22:30 in Berlin (bob's night: sms), 16:30 in New York (alice: slack).
		{time.Date(2026, 1, 15, 21, 30, 0, 0, time.UTC), "bob:sms alice:slack"},
		// 05:30 UTC: 06:30 in Berlin (still night), 00:30 in New York (night).
		{time.Date(2026, 1, 15, 5, 30, 0, 0, time.UTC), "bob:sms alice:sms"},
		// 12:00 UTC: day in both.
		{time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), "bob:slack alice:slack"},
	}
	for _, tt := range tests {
		if got := line(tt.at); got != tt.want {
			t.Errorf("at %s: %s, want %s", tt.at, got, tt.want)
		}
	}
	bad := strings.Replace(yaml, `to: "07:00"`, `to: "7am"`, 1)
	if _, err := incident.ParsePolicies("p.yaml", []byte(bad), nil); err == nil || !strings.Contains(err.Error(), `localTime[0]: to: "7am" is not HH:MM`) {
		t.Errorf("bad clock: %v", err)
	}
	bad = strings.Replace(yaml, "America/New_York", "Mars/Olympus", 1)
	if _, err := incident.ParsePolicies("p.yaml", []byte(bad), nil); err == nil || !strings.Contains(err.Error(), "users.alice.timeZone") {
		t.Errorf("bad zone: %v", err)
	}
}
