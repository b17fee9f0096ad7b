package secrets_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/secrets"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestPolicyNextWindow(t *testing.T) {
	tests := []struct {
		name       string
		rules      secrets.RotationRules
		last       string
		start, end string
	}{
		{"after days, counted from the day of the last rotation", secrets.RotationRules{AutomaticallyAfterDays: 30},
			"2026-01-31T15:00:00Z", "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"},
		{"daily across a month end", secrets.RotationRules{ScheduleExpression: "rate(1 day)"},
			"2026-01-31T23:30:00Z", "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"},
		{"quarterly preset with a 3h window into a leap day", secrets.RotationRules{ScheduleExpression: "rate(90 days)", Duration: "3h"},
			"2027-12-01T10:00:00Z", "2028-02-29T00:00:00Z", "2028-02-29T03:00:00Z"},
		{"weekly across a year end", secrets.Presets["weekly"],
			"2026-12-28T08:00:00Z", "2027-01-04T00:00:00Z", "2027-01-05T00:00:00Z"},
		{"rate in hours opens at midnight and every N hours", secrets.RotationRules{ScheduleExpression: "rate(4 hours)"},
			"2026-05-10T05:30:00Z", "2026-05-10T08:00:00Z", "2026-05-10T09:00:00Z"},
		{"rate in hours restarts at midnight", secrets.RotationRules{ScheduleExpression: "rate(10 hours)", Duration: "2h"},
			"2026-05-10T20:30:00Z", "2026-05-11T00:00:00Z", "2026-05-11T02:00:00Z"},
		{"cron on the 31st skips short months", secrets.RotationRules{ScheduleExpression: "cron(0 0 31 * ? *)"},
			"2026-01-31T01:00:00Z", "2026-03-31T00:00:00Z", "2026-04-01T00:00:00Z"},
		{"cron window closes at the end of its day by default", secrets.RotationRules{ScheduleExpression: "cron(0 16 1 1/3 ? *)"},
			"2026-01-01T17:00:00Z", "2026-04-01T16:00:00Z", "2026-04-02T00:00:00Z"},
		{"cron quarterly with a 3h window", secrets.RotationRules{ScheduleExpression: "cron(0 2 1 JAN,APR,JUL,OCT ? *)", Duration: "3h"},
			"2026-12-31T23:00:00Z", "2027-01-01T02:00:00Z", "2027-01-01T05:00:00Z"},
		{"cron rotated inside its window waits for the next", secrets.RotationRules{ScheduleExpression: "cron(0 9 ? * MON *)", Duration: "4h"},
			"2026-11-30T10:00:00Z", "2026-12-07T09:00:00Z", "2026-12-07T13:00:00Z"},
		{"hourly cron has one-hour windows", secrets.RotationRules{ScheduleExpression: "cron(0 4/12 * * ? *)"},
			"2026-02-28T17:00:00Z", "2026-03-01T04:00:00Z", "2026-03-01T05:00:00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := secrets.ParsePolicy(tc.rules)
			if err != nil {
				t.Fatal(err)
			}
			st := p.Check(utc(tc.last), utc(tc.last))
			if !st.WindowStart.Equal(utc(tc.start)) || !st.WindowEnd.Equal(utc(tc.end)) {
				t.Fatalf("window %s - %s, want %s - %s", st.WindowStart, st.WindowEnd, tc.start, tc.end)
			}
		})
	}
}

// A fake clock walks a secret through its window: scheduled, due while the
// window is open, overdue once it closed without a rotation, and scheduled
// again after one.
func TestPolicyCheckOverTime(t *testing.T) {
	p, err := secrets.ParsePolicy(secrets.RotationRules{ScheduleExpression: "rate(30 days)", Duration: "3h"})
	if err != nil {
		t.Fatal(err)
	}
	last := utc("2026-01-31T12:00:00Z")
	clk := clock.NewFake(last)
	steps := []struct {
		advance time.Duration
		want    string
	}{
		{0, secrets.StateScheduled},
		{29*24*time.Hour + 11*time.Hour + 59*time.Minute, secrets.StateScheduled}, // 2026-03-01T23:59
		{time.Minute, secrets.StateDue},                                           // 2026-03-02T00:00, the window opens
		{2*time.Hour + 59*time.Minute, secrets.StateDue},                          // 02:59
		{time.Minute, secrets.StateOverdue},                                       // 03:00, closed without a rotation
		{40 * 24 * time.Hour, secrets.StateOverdue},
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		if got := p.Check(last, clk.Now()).State; got != s.want {
			t.Fatalf("step %d at %s: %s, want %s", i, clk.Now().Format(time.RFC3339), got, s.want)
		}
	}
	last = clk.Now()
	if got := p.Check(last, clk.Now()).State; got != secrets.StateScheduled {
		t.Fatalf("right after a rotation: %s", got)
	}
}

func TestParsePolicyRefuses(t *testing.T) {
	tests := []struct {
		rules secrets.RotationRules
		msg   string
	}{
		{secrets.RotationRules{}, "no rule"},
		{secrets.RotationRules{AutomaticallyAfterDays: 7, ScheduleExpression: "rate(7 days)"}, "not both"},
		{secrets.RotationRules{AutomaticallyAfterDays: 1001}, "1 to 1000"},
		{secrets.RotationRules{AutomaticallyAfterDays: -1}, "1 to 1000"},
		{secrets.RotationRules{ScheduleExpression: "rate(2 hours)"}, "4 to 23"},
		{secrets.RotationRules{ScheduleExpression: "rate(1000 days)"}, "999"},
		{secrets.RotationRules{ScheduleExpression: "rate(5 minutes)"}, "hours or days"},
		{secrets.RotationRules{ScheduleExpression: "rate(ten days)"}, "positive whole number"},
		{secrets.RotationRules{ScheduleExpression: "every day"}, "rate(N hours|days) or cron"},
		{secrets.RotationRules{ScheduleExpression: "cron(30 4 * * ? *)"}, "minutes field must be 0"},
		{secrets.RotationRules{ScheduleExpression: "cron(0 4 * * ? 2027)"}, "year field must be *"},
		{secrets.RotationRules{ScheduleExpression: "cron(0 4 * *)"}, "6 fields"},
		{secrets.RotationRules{ScheduleExpression: "cron(0 4 L * ? *)"}, "not supported"},
		{secrets.RotationRules{ScheduleExpression: "rate(1 day)", Duration: "90m"}, "whole hours"},
		{secrets.RotationRules{ScheduleExpression: "rate(1 day)", Duration: "0h"}, "whole hours"},
		{secrets.RotationRules{ScheduleExpression: "rate(1 day)", Duration: "three"}, "whole hours"},
		{secrets.RotationRules{ScheduleExpression: "cron(0 22 * * ? *)", Duration: "3h"}, "next UTC day"},
		{secrets.RotationRules{ScheduleExpression: "rate(6 hours)", Duration: "7h"}, "next rotation window"},
	}
	for _, tc := range tests {
		t.Run(tc.rules.String(), func(t *testing.T) {
			_, err := secrets.ParsePolicy(tc.rules)
			if !errors.Is(err, secrets.ErrInvalidPolicy) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err %v, want Secrets.InvalidPolicy containing %q", err, tc.msg)
			}
		})
	}
	if _, err := secrets.Preset("yearly"); !errors.Is(err, secrets.ErrInvalidPolicy) {
		t.Fatalf("unknown preset: %v", err)
	}
	for name, r := range secrets.Presets {
		if _, err := secrets.ParsePolicy(r); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
	}
}

// A quarterly policy with a 3-hour window: when the next window opens
// after the last rotation, and where the secret stands as time passes.
func ExampleParsePolicy() {
	p, err := secrets.ParsePolicy(secrets.RotationRules{ScheduleExpression: "rate(90 days)", Duration: "3h"})
	if err != nil {
		fmt.Println(err)
		return
	}
	last := time.Date(2026, 11, 30, 16, 20, 0, 0, time.UTC)
	for _, now := range []time.Time{last.AddDate(0, 1, 0), time.Date(2027, 2, 28, 1, 0, 0, 0, time.UTC), time.Date(2027, 2, 28, 3, 0, 0, 0, time.UTC)} {
		st := p.Check(last, now)
		fmt.Println(now.Format(time.RFC3339), st.State, st.WindowStart.Format(time.RFC3339), st.WindowEnd.Format(time.RFC3339))
	}
	_, err = secrets.ParsePolicy(secrets.RotationRules{ScheduleExpression: "cron(0 22 * * ? *)", Duration: "3h"})
	fmt.Println(err)
	// Output:
	// 2026-12-30T16:20:00Z scheduled 2027-02-28T00:00:00Z 2027-02-28T03:00:00Z
	// 2027-02-28T01:00:00Z due 2027-02-28T00:00:00Z 2027-02-28T03:00:00Z
	// 2027-02-28T03:00:00Z overdue 2027-02-28T00:00:00Z 2027-02-28T03:00:00Z
	// Secrets.InvalidPolicy: Duration 3h from 22:00 runs into the next UTC day
}

// FuzzParsePolicy: any rules either parse into a policy whose window
// opens after the last rotation and closes after it opens, or are refused
// as Secrets.InvalidPolicy; nothing panics.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []struct {
		expr, dur string
		days      int64
	}{
		{"rate(90 days)", "3h", 0}, {"rate(4 hours)", "", 0}, {"cron(0 4/12 * * ? *)", "1h", 0},
		{"cron(0 2 1 JAN,APR,JUL,OCT ? *)", "3h", 0}, {"", "", 30}, {"cron(0 0 L * ? *)", "", 0}, {"rate(0 days)", "25h", 0},
	} {
		f.Add(s.expr, s.dur, s.days, int64(1764547200))
	}
	f.Fuzz(func(t *testing.T, expr, dur string, days, lastUnix int64) {
		p, err := secrets.ParsePolicy(secrets.RotationRules{ScheduleExpression: expr, Duration: dur, AutomaticallyAfterDays: days})
		if err != nil {
			if !errors.Is(err, secrets.ErrInvalidPolicy) {
				t.Fatalf("error %v is not Secrets.InvalidPolicy", err)
			}
			return
		}
		last := time.Unix(lastUnix%4102444800, 0).UTC() // before 2100
		if last.Year() < 1971 {
			return
		}
		st := p.Check(last, last)
		if st.WindowStart.IsZero() {
			return // a schedule that never fires again
		}
		if !st.WindowStart.After(last) || !st.WindowEnd.After(st.WindowStart) {
			t.Fatalf("%q %q %d from %s: window %s - %s", expr, dur, days, last, st.WindowStart, st.WindowEnd)
		}
	})
}
