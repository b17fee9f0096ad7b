package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestNext(t *testing.T) {
	tests := []struct {
		expr, from string
		want       []string
	}{
		{"rate(5 minutes)", "2026-01-01T00:03:10Z", []string{"2026-01-01T00:05:00Z", "2026-01-01T00:10:00Z"}},
		{"rate(1 hour)", "2026-01-01T10:59:59Z", []string{"2026-01-01T11:00:00Z", "2026-01-01T12:00:00Z"}},
		{"rate(1 day)", "2026-01-01T10:00:00Z", []string{"2026-01-02T00:00:00Z"}},
		// 10:15 every day.
		{"cron(15 10 * * ? *)", "2026-03-01T10:15:00Z", []string{"2026-03-02T10:15:00Z", "2026-03-03T10:15:00Z"}},
		// Every weekday (MON-FRI) at 18:00; 2026-11-20 is a Friday.
		{"cron(0 18 ? * MON-FRI *)", "2026-11-20T18:00:00Z", []string{"2026-11-23T18:00:00Z", "2026-11-24T18:00:00Z"}},
		// EventBridge numbers Sunday 1: 2-6 is MON-FRI too.
		{"cron(0 18 ? * 2-6 *)", "2026-11-20T18:00:00Z", []string{"2026-11-23T18:00:00Z"}},
		// Sunday is 1. 2026-11-29 is a Sunday.
		{"cron(0 0 ? * 1 *)", "2026-11-23T00:00:00Z", []string{"2026-11-29T00:00:00Z", "2026-12-06T00:00:00Z"}},
		// First of the month, every 10 minutes 8:00-8:50.
		{"cron(0/10 8 1 * ? *)", "2026-01-01T08:45:00Z", []string{"2026-01-01T08:50:00Z", "2026-02-01T08:00:00Z"}},
		// Only in 2030.
		{"cron(0 12 1 JAN ? 2030)", "2026-06-01T00:00:00Z", []string{"2030-01-01T12:00:00Z", ""}},
		{"cron(0 12 1 1 ? 2028-2029)", "2026-06-01T00:00:00Z", []string{"2028-01-01T12:00:00Z", "2029-01-01T12:00:00Z", ""}},
		{"at(2027-05-01T09:30:00)", "2026-06-01T00:00:00Z", []string{"2027-05-01T09:30:00Z", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			s, err := Parse(tt.expr)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if s.String() != tt.expr {
				t.Errorf("String() = %q", s.String())
			}
			cur := mustTime(t, tt.from)
			for i, w := range tt.want {
				got := s.Next(cur)
				if w == "" {
					if !got.IsZero() {
						t.Fatalf("firing %d: got %v, want none", i, got)
					}
					return
				}
				if want := mustTime(t, w); !got.Equal(want) {
					t.Fatalf("firing %d after %v: got %v, want %v", i, cur, got, want)
				}
				cur = got
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	bad := map[string]string{
		"every 5 minutes":          "want rate",
		"rate(5 minute)":           `the unit is "minutes"`,
		"rate(1 minutes)":          `the unit is "minute"`,
		"rate(0 minutes)":          "positive",
		"rate(5 weeks)":            "minute(s), hour(s) or day(s)",
		"cron(0 12 * * *)":         "6 fields",
		"cron(0 12 * * MON *)":     "exactly one of day-of-month and day-of-week",
		"cron(0 12 ? * ? *)":       "exactly one of day-of-month and day-of-week",
		"cron(0 12 L * ? *)":       "L, W and # modifiers",
		"cron(0 12 ? * 6#3 *)":     "L, W and # modifiers",
		"cron(0 12 ? * 8 *)":       "out of range 1-7",
		"cron(61 12 * * ? *)":      "invalid expression",
		"cron(0 12 * * ? 1900)":    "outside 1970",
		"at(2027-05-01)":           "yyyy-mm-ddThh:mm:ss",
		"daily(1)":                 "unknown kind",
		"cron(0 12 * * ? 2026/0)":  "positive number",
		"cron(0 12 * * ? abc)":     "not a year",
		"cron(0 12 * * ? 2030-20)": "outside 1970",
	}
	for expr, want := range bad {
		_, err := Parse(expr)
		if err == nil {
			t.Errorf("Parse(%q) succeeded", expr)
			continue
		}
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q): %v does not wrap ErrSyntax", expr, err)
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %q, want it to mention %q", expr, err, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"rate(5 minutes)", "cron(0 18 ? * MON-FRI *)", "cron(0/10 8 1 * ? 2026-2030/2)", "at(2027-05-01T09:30:00)", "cron(1,2,3 4-5 ? JAN-MAR 1,7 *)"} {
		f.Add(s)
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := Parse(expr)
		if err != nil {
			return
		}
		n := s.Next(from)
		if !n.IsZero() && !n.After(from) {
			t.Fatalf("%q: Next(%v) = %v is not after", expr, from, n)
		}
	})
}
