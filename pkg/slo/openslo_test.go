package slo

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// baseSLO is a valid definition the table cases change one thing in.
const baseSLO = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-availability
spec:
  service: checkout
  indicator:
    metadata:
      name: ok
    spec:
      ratioMetric:
        good:
          metricSource:
            type: cogniforge
            spec:
              service: checkout
              status: ok
        total:
          metricSource:
            type: cogniforge
            spec:
              service: checkout
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.999
`

// withRef is baseSLO with indicatorRef: name instead of its inline
// indicator (with neither when name is empty).
func withRef(name string) string {
	ref := ""
	if name != "" {
		ref = "  indicatorRef: " + name + "\n"
	}
	return baseSLO[:strings.Index(baseSLO, "  indicator:")] + ref + baseSLO[strings.Index(baseSLO, "  timeWindow:"):]
}

// edit replaces old (which must occur once) in baseSLO.
func edit(t *testing.T, old, new string) string {
	t.Helper()
	if strings.Count(baseSLO, old) != 1 {
		t.Fatalf("%q is not once in baseSLO", old)
	}
	return strings.Replace(baseSLO, old, new, 1)
}

func TestParseBase(t *testing.T) {
	got, err := Parse("api.yaml", []byte(baseSLO))
	if err != nil {
		t.Fatal(err)
	}
	want := []SLO{{
		Name:      "checkout-availability",
		Service:   "checkout",
		Source:    "api.yaml#1",
		Good:      Selector{Service: "checkout", Status: "ok"},
		Total:     Selector{Service: "checkout"},
		HasGood:   true,
		Target:    0.999,
		Window:    Window{Rolling: 30 * 24 * time.Hour},
		Budgeting: Occurrences,
		Alerts:    DefaultAlerts(),
		MinEvents: DefaultMinEvents,
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", got, want)
	}
}

// TestParseErrorFormat pins the whole message of one error: file,
// document, kind and name, field path, what was expected, line.
func TestParseErrorFormat(t *testing.T) {
	_, err := Parse("config/slos/api.yaml", []byte("# leading doc\napiVersion: openslo/v1\nkind: SLI\nmetadata: {name: x}\nspec:\n  ratioMetric:\n    good: {metricSource: {type: cogniforge, spec: {status: ok}}}\n    total: {metricSource: {type: cogniforge, spec: {}}}\n---\n"+edit(t, "target: 0.999", "target: 1.5")))
	want := "config/slos/api.yaml: document 2 (SLO checkout-availability): spec.objectives[0].target: 1.5 is outside (0, 1) (line 37)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	var de *DefinitionError
	if !errors.As(err, &de) || de.Doc != 2 || de.Path != "spec.objectives[0].target" || de.Line != 37 {
		t.Fatalf("DefinitionError %+v", de)
	}
}

func TestParseGood(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		check func(t *testing.T, s []SLO)
	}{
		{"targetPercent keeps its digits", edit(t, "target: 0.999", "targetPercent: 99.9"), func(t *testing.T, s []SLO) {
			if s[0].Target != 0.999 {
				t.Errorf("target %v", s[0].Target)
			}
		}},
		{"several objectives are named by displayName or index", edit(t, "    - target: 0.999\n", "    - target: 0.999\n      displayName: strict\n    - target: 0.99\n"), func(t *testing.T, s []SLO) {
			if len(s) != 2 || s[0].Name != "checkout-availability/strict" || s[1].Name != "checkout-availability/1" || s[1].Target != 0.99 {
				t.Errorf("%+v", s)
			}
		}},
		{"bad selector, http class and bare number", edit(t, "        good:\n          metricSource:\n            type: cogniforge\n            spec:\n              service: checkout\n              status: ok\n",
			"        counter: true\n        bad:\n          metricSource:\n            type: cogniforge\n            spec:\n              httpStatus: 5xx\n              region: eu-west-1\n              operation: POST /orders\n"), func(t *testing.T, s []SLO) {
			want := Selector{HTTPStatus: Cond{Op: "class", Value: 5, Text: "5xx"}, Region: "eu-west-1", Operation: "POST /orders"}
			if !s[0].HasBad || s[0].HasGood || !reflect.DeepEqual(s[0].Bad, want) {
				t.Errorf("%+v", s[0])
			}
		}},
		{"latency selector", edit(t, "              status: ok\n", "              durationMs: \"<=300\"\n              httpStatus: 200\n"), func(t *testing.T, s []SLO) {
			g := s[0].Good
			if g.DurationMs != (Cond{Op: "<=", Value: 300, Text: "<=300"}) || g.HTTPStatus != (Cond{Op: "==", Value: 200, Text: "200"}) {
				t.Errorf("%+v", g)
			}
		}},
		{"calendar week in a time zone", edit(t, "    - duration: 30d\n      isRolling: true\n", "    - duration: 1w\n      isRolling: false\n      calendar:\n        startTime: 2026-11-30 00:00:00\n        timeZone: America/New_York\n"), func(t *testing.T, s []SLO) {
			w := s[0].Window
			if w.Calendar != "week" || w.Rolling != 0 || w.Location.String() != "America/New_York" {
				t.Errorf("%+v", w)
			}
		}},
		{"calendar month defaults to UTC", edit(t, "    - duration: 30d\n      isRolling: true\n", "    - duration: 1M\n      calendar: {}\n"), func(t *testing.T, s []SLO) {
			if w := s[0].Window; w.Calendar != "month" || w.Location != time.UTC {
				t.Errorf("%+v", w)
			}
		}},
		{"timeslices, a bare number being minutes", edit(t, "budgetingMethod: Occurrences\n  objectives:\n    - target: 0.999\n", "budgetingMethod: Timeslices\n  objectives:\n    - target: 0.999\n      timeSliceTarget: 1\n      timeSliceWindow: 5\n"), func(t *testing.T, s []SLO) {
			if s[0].Budgeting != Timeslices || s[0].TimeSliceTarget != 1 || s[0].TimeSliceWindow != 5*time.Minute {
				t.Errorf("%+v", s[0])
			}
		}},
		{"a short window with its own rules", edit(t, "duration: 30d", "duration: 1d") + "  alertPolicies:\n    - alertPolicyRef: p\n---\napiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: p}\nspec: {conditions: [{kind: AlertCondition, metadata: {name: c}, spec: {severity: page, condition: {op: gt, threshold: 10, lookbackWindow: 1d}}}]}\n", func(t *testing.T, s []SLO) {
			if len(s[0].Alerts) != 1 || s[0].Alerts[0].Long != 24*time.Hour || s[0].Alerts[0].Short != 2*time.Hour {
				t.Errorf("%+v", s[0].Alerts)
			}
		}},
		{"empty alertPolicies give the default table", baseSLO + "  alertPolicies:\n", func(t *testing.T, s []SLO) {
			if !reflect.DeepEqual(s[0].Alerts, DefaultAlerts()) {
				t.Errorf("%+v", s[0].Alerts)
			}
		}},
		{"op and value of OpenSLO's own examples are accepted", edit(t, "    - target: 0.999\n", "    - target: 0.999\n      op: gt\n      value: 1\n"), nil},
		{"rolling windows in m, h, d, w", edit(t, "duration: 30d", "duration: 4w"), func(t *testing.T, s []SLO) {
			if s[0].Window.Rolling != 28*24*time.Hour {
				t.Errorf("%v", s[0].Window)
			}
		}},
		{"min-events annotation", edit(t, "  name: checkout-availability\n", "  name: checkout-availability\n  displayName: Checkout\n  labels: {team: [a, b], tier: one}\n  annotations:\n    cogniforge.dev/min-events: 0\n    other.example/x: y\n"), func(t *testing.T, s []SLO) {
			if s[0].MinEvents != 0 {
				t.Errorf("min events %d", s[0].MinEvents)
			}
		}},
		{"alert policies replace the table", baseSLO + `  alertPolicies:
    - kind: AlertPolicy
      metadata: {name: fast}
      spec:
        alertWhenBreaching: true
        alertWhenResolved: false
        conditions:
          - kind: AlertCondition
            metadata: {name: fast-6h}
            spec:
              severity: Critical
              condition: {kind: burnrate, op: gte, threshold: 6, lookbackWindow: 6h}
        notificationTargets:
          - targetRef: oncall
          - kind: AlertNotificationTarget
            metadata: {name: inline}
            spec: {target: slack}
    - alertPolicyRef: slow
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {name: slow}
spec:
  conditions:
    - conditionRef: slow-3d
---
apiVersion: openslo/v1
kind: AlertCondition
metadata: {name: slow-3d}
spec:
  severity: low
  condition: {op: gt, threshold: 1, lookbackWindow: 3d, alertAfter: 5h}
---
apiVersion: openslo/v1
kind: AlertNotificationTarget
metadata: {name: oncall}
spec: {target: email, description: the on-call mailbox}
---
`, func(t *testing.T, s []SLO) {
			want := []AlertRule{
				{Severity: "page", Long: 6 * time.Hour, Short: 30 * time.Minute, Threshold: 6, OrEqual: true, Name: "fast-6h"},
				{Severity: "ticket", Long: 72 * time.Hour, Short: 5 * time.Hour, Threshold: 1, Name: "slow-3d"},
			}
			if !reflect.DeepEqual(s[0].Alerts, want) {
				t.Errorf("got %+v", s[0].Alerts)
			}
		}},
		{"SLI by reference, empty documents skipped", "---\n" + `apiVersion: openslo/v1
kind: SLI
metadata: {name: ok}
spec:
  ratioMetric:
    good: {metricSource: {type: cogniforge, spec: {status: ok}}}
    total: {metricSource: {type: cogniforge, spec: }}
---
# nothing here
---
` + withRef("ok"), func(t *testing.T, s []SLO) {
			if s[0].Source != "x.yaml#3" || s[0].Good.Status != "ok" || s[0].Total != (Selector{}) {
				t.Errorf("%+v", s[0])
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("x.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if len(s) == 0 {
				t.Fatal("no SLO")
			}
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

func TestParseBad(t *testing.T) {
	const policy = `  alertPolicies:
    - kind: AlertPolicy
      metadata: {name: p}
      spec:
        conditions:
          - kind: AlertCondition
            metadata: {name: c}
            spec:
              severity: page
              condition: {kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h, alertAfter: 5m}
`
	withPolicy := func(old, new string) string {
		if strings.Count(policy, old) != 1 {
			t.Fatalf("%q not once in policy", old)
		}
		return baseSLO + strings.Replace(policy, old, new, 1)
	}
	timeslices := func(obj string) string {
		return edit(t, "budgetingMethod: Occurrences\n  objectives:\n    - target: 0.999\n", "budgetingMethod: Timeslices\n  objectives:\n    - target: 0.999\n"+obj)
	}
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the error, in one message each
	}{
		// The cases: unknown fields, a target outside (0, 1), an
		// unknown window, a selector on a field request.completed lacks.
		{"unknown top-level field", baseSLO + "status: {}\n", []string{"x.yaml: document 1 (SLO checkout-availability): status: unknown field; expected one of apiVersion, kind, metadata, spec (line 29)"}},
		{"unknown spec field", edit(t, "\n  service: checkout\n", "\n  service: checkout\n  sevrice: checkout\n"), []string{"spec.sevrice: unknown field; expected one of description, service"}},
		{"unknown objective field", edit(t, "- target: 0.999", "- tagret: 0.999"), []string{"spec.objectives[0].tagret: unknown field", "spec.objectives[0].target: required"}},
		{"unknown metadata field", edit(t, "  name: checkout-availability\n", "  name: checkout-availability\n  namespace: x\n"), []string{"metadata.namespace: unknown field"}},
		{"unknown ratioMetric field", edit(t, "        good:", "        gud:"), []string{"spec.indicator.spec.ratioMetric.gud: unknown field", "spec.indicator.spec.ratioMetric.good: required: good or bad"}},
		{"target above 1", edit(t, "target: 0.999", "target: 1.5"), []string{"spec.objectives[0].target: 1.5 is outside (0, 1)"}},
		{"target 1", edit(t, "target: 0.999", "target: 1"), []string{"spec.objectives[0].target: 1 is outside (0, 1)"}},
		{"target 0", edit(t, "target: 0.999", "target: 0"), []string{"target: 0 is outside (0, 1)"}},
		{"target negative", edit(t, "target: 0.999", "target: -0.5"), []string{"target: -0.5 is outside (0, 1)"}},
		{"target as text", edit(t, "target: 0.999", "target: \"0.999\""), []string{`target: expected a number, got "0.999"`}},
		{"targetPercent 100", edit(t, "target: 0.999", "targetPercent: 100"), []string{"targetPercent: 100 is outside (0, 100)"}},
		{"target and targetPercent", edit(t, "target: 0.999", "target: 0.999\n      targetPercent: 99.9"), []string{"targetPercent: give target or targetPercent, not both"}},
		{"no objectives", edit(t, "  objectives:\n    - target: 0.999\n", "  objectives: []\n"), []string{"spec.objectives: required: at least one objective"}},
		{"unknown window: months do not roll", edit(t, "duration: 30d", "duration: 1M"), []string{`spec.timeWindow[0].duration: "1M": months, quarters and years are calendar windows only`}},
		{"unknown window: unit", edit(t, "duration: 30d", "duration: 30s"), []string{`spec.timeWindow[0].duration: "30s" has an unknown unit "s"`}},
		{"unknown window: no number", edit(t, "duration: 30d", "duration: monthly"), []string{`"monthly" is not a duration such as 5m, 1h, 30d or 4w`}},
		{"unknown window: zero", edit(t, "duration: 30d", "duration: 0d"), []string{`"0d" must be more than zero`}},
		{"unknown window: too long", edit(t, "duration: 30d", "duration: 400d"), []string{`"400d" is longer than 366d`}},
		{"unknown window: neither rolling nor calendar", edit(t, "      isRolling: true\n", ""), []string{"spec.timeWindow[0]: unknown window: expected isRolling: true"}},
		{"unknown window: calendar 1d", edit(t, "    - duration: 30d\n      isRolling: true\n", "    - duration: 1d\n      calendar: {timeZone: UTC}\n"), []string{`spec.timeWindow[0].duration: unknown calendar window "1d"; expected 1M (the calendar month) or 1w (the calendar week)`}},
		{"unknown window: OpenSLO example's 1m", edit(t, "    - duration: 30d\n      isRolling: true\n", "    - duration: 1m\n      calendar: {timeZone: UTC}\n"), []string{`unknown calendar window "1m"`}},
		{"rolling calendar", edit(t, "      isRolling: true\n", "      isRolling: true\n      calendar: {timeZone: UTC}\n"), []string{"spec.timeWindow[0].isRolling: a window with a calendar is not rolling"}},
		{"two windows", edit(t, "      isRolling: true\n", "      isRolling: true\n    - duration: 7d\n      isRolling: true\n"), []string{"spec.timeWindow: expected a list with exactly one window, got 2"}},
		{"no window", edit(t, "  timeWindow:\n    - duration: 30d\n      isRolling: true\n", ""), []string{"spec.timeWindow: required"}},
		{"unknown time zone", edit(t, "    - duration: 30d\n      isRolling: true\n", "    - duration: 1M\n      calendar: {timeZone: Mars/Olympus}\n"), []string{`calendar.timeZone: "Mars/Olympus" is not a time zone`}},
		{"month not starting on the 1st", edit(t, "    - duration: 30d\n      isRolling: true\n", "    - duration: 1M\n      calendar: {startTime: 2022-01-02 00:00:00}\n"), []string{`calendar.startTime: "2022-01-02 00:00:00" is not the start of a month`}},
		{"week not starting on Monday", edit(t, "    - duration: 30d\n      isRolling: true\n", "    - duration: 1w\n      calendar: {startTime: 2022-01-01 12:00:00, timeZone: America/New_York}\n"), []string{`is not the start of a week (a Monday at 00:00:00)`}},
		{"bad start time", edit(t, "    - duration: 30d\n      isRolling: true\n", "    - duration: 1w\n      calendar: {startTime: yesterday}\n"), []string{`"yesterday" is not a date and time`}},
		{"selector on a missing field", edit(t, "              status: ok\n", "              latency: \"<300\"\n"), []string{`spec.indicator.spec.ratioMetric.good.metricSource.spec.latency: dev.cogniforge.request.completed.v1 events have no field "latency" to select on; expected one of service, operation, region, status, httpStatus, durationMs`}},
		{"selector on userId", edit(t, "              status: ok\n", "              userId: u-1\n"), []string{`have no field "userId"`}},
		{"metric source not cogniforge", edit(t, "            type: cogniforge\n            spec:\n              service: checkout\n              status: ok\n", "            type: Prometheus\n            spec:\n              query: up\n"), []string{`good.metricSource.type: "Prometheus" is not supported; expected cogniforge`, `have no field "query"`}},
		{"data source ref", edit(t, "            type: cogniforge\n            spec:\n              service: checkout\n              status: ok\n", "            metricSourceRef: prom\n            type: cogniforge\n            spec: {}\n"), []string{"good.metricSource.metricSourceRef: data sources are not supported"}},
		{"status other than ok and error", edit(t, "status: ok", "status: failed"), []string{`good.metricSource.spec.status: "failed" is not a status; expected ok or error`}},
		{"httpStatus not a condition", edit(t, "status: ok", "httpStatus: server-error"), []string{`good.metricSource.spec.httpStatus: "server-error" is not a comparison such as "<500", ">=200" or "==404" or a class such as "5xx"`}},
		{"durationMs with a class", edit(t, "status: ok", "durationMs: 5xx"), []string{`good.metricSource.spec.durationMs: "5xx" is not a comparison`}},
		{"empty selector value", edit(t, "status: ok", "status: \"\""), []string{"good.metricSource.spec.status: expected a non-empty string"}},
		{"good and bad", edit(t, "        total:", "        bad: {metricSource: {type: cogniforge, spec: {status: error}}}\n        total:"), []string{"ratioMetric.bad: give good or bad, not both"}},
		{"no total", edit(t, "        total:\n          metricSource:\n            type: cogniforge\n            spec:\n              service: checkout\n", ""), []string{"ratioMetric.total: required"}},
		{"raw ratio", edit(t, "        total:", "        rawType: success\n        total:"), []string{"ratioMetric.rawType: precomputed ratios are not supported"}},
		{"threshold metric", edit(t, "      ratioMetric:", "      thresholdMetric: {metricSource: {type: cogniforge, spec: {}}}\n      ratioMetric:"), []string{`spec.indicator.spec.thresholdMetric: threshold metrics are not supported: SLIs count events, so write a ratioMetric whose good selector has a durationMs condition, such as durationMs: "<=300"`}},
		{"indicator and ref", edit(t, "  indicator:\n", "  indicatorRef: x\n  indicator:\n"), []string{"spec.indicatorRef: give indicator or indicatorRef, not both"}},
		{"no indicator", withRef(""), []string{"spec.indicator: required"}},
		{"unresolved indicatorRef", withRef("nope"), []string{`spec.indicatorRef: no SLI named "nope" in the definitions given`}},
		{"RatioTimeslices", edit(t, "Occurrences", "RatioTimeslices"), []string{"spec.budgetingMethod: RatioTimeslices is not supported yet"}},
		{"unknown budgeting", edit(t, "Occurrences", "Events"), []string{`spec.budgetingMethod: "Events" is not a budgeting method`}},
		{"no budgeting", edit(t, "  budgetingMethod: Occurrences\n", ""), []string{"spec.budgetingMethod: required: Occurrences or Timeslices"}},
		{"timeslices without slices", timeslices(""), []string{"spec.objectives[0].timeSliceTarget: required", "spec.objectives[0].timeSliceWindow: required"}},
		{"timeslices target 0", timeslices("      timeSliceTarget: 0\n      timeSliceWindow: 1m\n"), []string{"timeSliceTarget: 0 is outside (0, 1]"}},
		{"timeslices window in seconds", timeslices("      timeSliceTarget: 0.9\n      timeSliceWindow: 30s\n"), []string{`timeSliceWindow: "30s" has an unknown unit`}},
		{"timeslices window longer than the SLO", timeslices("      timeSliceTarget: 0.9\n      timeSliceWindow: 31d\n"), []string{"timeSliceWindow: 31d is longer than the SLO window"}},
		{"occurrences with slices", edit(t, "    - target: 0.999\n", "    - target: 0.999\n      timeSliceWindow: 1m\n"), []string{"spec.objectives[0].timeSliceWindow: only for budgetingMethod Timeslices"}},
		{"composite objective", edit(t, "    - target: 0.999\n", "    - target: 0.999\n      indicatorRef: x\n"), []string{"spec.objectives[0].indicatorRef: composite SLOs are not supported"}},
		{"duplicate objective names", edit(t, "    - target: 0.999\n", "    - target: 0.999\n      displayName: a\n    - target: 0.99\n      displayName: a\n"), []string{`spec.objectives[1].displayName: "a" is the name of spec.objectives[0] too`}},
		{"window shorter than the default rules", edit(t, "duration: 30d", "duration: 2d"), []string{"spec.timeWindow: 2d is shorter than the 3d look-back of the default alert rule 3d/6h"}},
		{"condition looking back past the window", strings.Replace(withPolicy("lookbackWindow: 1h, alertAfter: 5m", "lookbackWindow: 8d"), "duration: 30d", "duration: 1w", 1), []string{`spec.alertPolicies[0]: alert condition "c" looks back 8d, longer than the SLO window`}},
		{"api version", edit(t, "openslo/v1", "openslo/v1alpha"), []string{`apiVersion: "openslo/v1alpha" is not supported; expected openslo/v1`}},
		{"no kind", edit(t, "kind: SLO\n", ""), []string{"kind: required"}},
		{"other kind", edit(t, "kind: SLO", "kind: Service"), []string{`kind: "Service" is not supported; expected SLO, SLI, AlertPolicy, AlertCondition or AlertNotificationTarget`}},
		{"no name", edit(t, "  name: checkout-availability\n", "  displayName: x\n"), []string{"x.yaml: document 1 (SLO): metadata.name: required"}},
		{"bad name", edit(t, "name: checkout-availability", "name: checkout availability"), []string{`metadata.name: "checkout availability" is not a valid name`}},
		{"min-events negative", edit(t, "  name: checkout-availability\n", "  name: checkout-availability\n  annotations: {cogniforge.dev/min-events: -1}\n"), []string{`metadata.annotations.cogniforge.dev/min-events: "-1" is not a non-negative integer`}},
		{"duplicate key", edit(t, "  service: checkout\n  indicator", "  service: checkout\n  service: cart\n  indicator"), []string{"spec.service: given twice"}},
		{"not YAML", "kind: [\n", []string{"x.yaml: document 1: not valid YAML: line 1: did not find expected node content"}},
		{"spec not a mapping", "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: a}\nspec: 3\n", []string{`spec: expected a mapping with description, service`}},
		{"duplicate SLO", baseSLO + "---\n" + baseSLO, []string{`document 2 (SLO checkout-availability): metadata.name: SLO "checkout-availability" is already defined in x.yaml#1`}},
		{"alert op lt", withPolicy("op: gt", "op: lt"), []string{`spec.alertPolicies[0].spec.conditions[0].spec.condition.op: "lt" would alert while the budget burns slowly; expected gt or gte`}},
		{"alert severity", withPolicy("severity: page", "severity: sev1"), []string{`conditions[0].spec.severity: "sev1" is not a severity; expected page (or critical, high) or ticket`}},
		{"alert kind", withPolicy("kind: burnrate", "kind: budget"), []string{`condition.kind: "budget" is not supported; expected burnrate`}},
		{"alert threshold", withPolicy("threshold: 14.4", "threshold: 0"), []string{"condition.threshold: 0 is not a burn rate above zero"}},
		{"alertAfter not shorter", withPolicy("alertAfter: 5m", "alertAfter: 1h"), []string{"condition.alertAfter: 1h is not shorter than lookbackWindow 1h"}},
		{"lookback in months", withPolicy("lookbackWindow: 1h", "lookbackWindow: 1M"), []string{`condition.lookbackWindow: "1M": months`}},
		{"no lookback", withPolicy(", lookbackWindow: 1h", ""), []string{"condition.lookbackWindow: required"}},
		{"lookback too short", withPolicy("lookbackWindow: 1h, alertAfter: 5m", "lookbackWindow: 1m"), []string{"condition.lookbackWindow: 1m leaves no shorter window"}},
		{"no data alerts", withPolicy("        conditions:", "        alertWhenNoData: true\n        conditions:"), []string{"spec.alertPolicies[0].spec.alertWhenNoData: true is not supported"}},
		{"no conditions", withPolicy("        conditions:", "        conditions: []\n        x:"), []string{"spec.alertPolicies[0].spec.conditions: required", "spec.alertPolicies[0].spec.x: unknown field"}},
		{"unnamed inline condition", withPolicy("metadata: {name: c}", "metadata: {displayName: c}"), []string{"conditions[0].metadata.name: required"}},
		{"ref and inline", withPolicy("    - kind: AlertPolicy\n", "    - alertPolicyRef: q\n      kind: AlertPolicy\n"), []string{"spec.alertPolicies[0]: give alertPolicyRef alone or an inline AlertPolicy"}},
		{"unresolved policy ref", baseSLO + "  alertPolicies:\n    - alertPolicyRef: nope\n", []string{`spec.alertPolicies[0].alertPolicyRef: no AlertPolicy named "nope"`}},
		{"unresolved condition ref", withPolicy("          - kind: AlertCondition\n            metadata: {name: c}\n            spec:\n              severity: page\n              condition: {kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h, alertAfter: 5m}\n", "          - conditionRef: nope\n"), []string{`spec.alertPolicies[0].spec.conditions[0].conditionRef: no AlertCondition named "nope"`}},
		{"unresolved target ref", withPolicy("        conditions:", "        notificationTargets: [{targetRef: nope}]\n        conditions:"), []string{`spec.alertPolicies[0].spec.notificationTargets[0].targetRef: no AlertNotificationTarget named "nope"`}},
		{"unresolved condition ref in a policy no SLO uses", "apiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: p}\nspec: {conditions: [{conditionRef: nope}]}\n", []string{`x.yaml: document 1 (AlertPolicy p): spec.conditions[0].conditionRef: no AlertCondition named "nope"`}},
		{"unresolved condition ref reported once for two SLOs", baseSLO + "  alertPolicies: [{alertPolicyRef: p}]\n---\n" + strings.Replace(baseSLO, "name: checkout-availability", "name: other", 1) + "  alertPolicies: [{alertPolicyRef: p}]\n---\napiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: p}\nspec: {conditions: [{conditionRef: nope}]}\n", []string{`x.yaml: document 3 (AlertPolicy p): spec.conditions[0].conditionRef: no AlertCondition named "nope"`}},
		{"condition used twice", withPolicy("    - kind: AlertPolicy\n", "    - alertPolicyRef: q\n    - kind: AlertPolicy\n") + "---\napiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: q}\nspec: {conditions: [{conditionRef: c}]}\n---\napiVersion: openslo/v1\nkind: AlertCondition\nmetadata: {name: c}\nspec: {severity: page, condition: {op: gt, threshold: 2, lookbackWindow: 1h}}\n",
			[]string{`alert condition "c" is used twice`}},
		{"broken SLI reported once, not again as unresolved", "apiVersion: openslo/v1\nkind: SLI\nmetadata: {name: ok}\nspec: {ratioMetric: {good: {metricSource: {type: cogniforge, spec: {latency: 1}}}, total: {metricSource: {type: cogniforge, spec: {}}}}}\n---\n" +
			withRef("ok"), []string{`document 1 (SLI ok): spec.ratioMetric.good.metricSource.spec.latency`}},
		{"several problems are all reported", strings.Replace(edit(t, "target: 0.999", "target: 2"), "duration: 30d", "duration: 30x", 1), []string{"target: 2 is outside (0, 1)", `"30x" has an unknown unit`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("x.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("no error; got %+v", s)
			}
			if s != nil {
				t.Errorf("SLOs returned with an error: %+v", s)
			}
			msgs := strings.Split(err.Error(), "\n")
			for _, w := range tt.want {
				found := false
				for _, m := range msgs {
					found = found || strings.Contains(m, w)
				}
				if !found {
					t.Errorf("no message contains %q:\n%v", w, err)
				}
			}
			if len(msgs) != len(tt.want) {
				t.Errorf("%d messages, want %d:\n%v", len(msgs), len(tt.want), err)
			}
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var de *DefinitionError
				if !errors.As(e, &de) || de.File != "x.yaml" {
					t.Errorf("%v is not a DefinitionError of x.yaml", e)
				}
			}
		})
	}
}

// writeFiles writes name → content under a new directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoad(t *testing.T) {
	sli := "apiVersion: openslo/v1\nkind: SLI\nmetadata: {name: ok}\nspec: {ratioMetric: {good: {metricSource: {type: cogniforge, spec: {status: ok}}}, total: {metricSource: {type: cogniforge, spec: {service: checkout}}}}}\n"
	byRef := withRef("ok")
	dir := writeFiles(t, map[string]string{"b-slo.yml": byRef, "a-sli.yaml": sli, "notes.txt": "not read", "c.yaml": "# empty\n"})

	t.Run("a directory resolves references across files", func(t *testing.T) {
		s, err := LoadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != 1 || s[0].Source != filepath.Join(dir, "b-slo.yml")+"#1" || s[0].Good.Status != "ok" {
			t.Fatalf("%+v", s)
		}
	})
	t.Run("files in any order", func(t *testing.T) {
		s, err := LoadFiles(filepath.Join(dir, "b-slo.yml"), filepath.Join(dir, "a-sli.yaml"))
		if err != nil || len(s) != 1 {
			t.Fatal(s, err)
		}
	})
	t.Run("one file alone does not see the others", func(t *testing.T) {
		_, err := LoadFiles(filepath.Join(dir, "b-slo.yml"))
		if err == nil || !strings.Contains(err.Error(), `b-slo.yml: document 1 (SLO checkout-availability): spec.indicatorRef: no SLI named "ok"`) {
			t.Fatal(err)
		}
	})
	t.Run("the same SLO in two files", func(t *testing.T) {
		other := writeFiles(t, map[string]string{"x.yaml": baseSLO})
		_, err := LoadFiles(dir, filepath.Join(other, "x.yaml"))
		if err == nil || !strings.Contains(err.Error(), `x.yaml: document 1 (SLO checkout-availability): metadata.name: SLO "checkout-availability" is already defined in `+filepath.Join(dir, "b-slo.yml")+"#1") {
			t.Fatal(err)
		}
	})
	t.Run("the same SLI in two files", func(t *testing.T) {
		other := writeFiles(t, map[string]string{"x.yaml": sli})
		_, err := LoadFiles(dir, other)
		if err == nil || !strings.Contains(err.Error(), `metadata.name: SLI "ok" is already defined in `) {
			t.Fatal(err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := LoadFiles(filepath.Join(dir, "nope.yaml"))
		var pe *fs.PathError
		if !errors.As(err, &pe) {
			t.Fatalf("%T %v", err, err)
		}
	})
	t.Run("directory without definitions", func(t *testing.T) {
		_, err := LoadDir(t.TempDir())
		if !errors.Is(err, ErrNoDefinitionFiles) {
			t.Fatal(err)
		}
	})
	t.Run("LoadDir of a file", func(t *testing.T) {
		_, err := LoadDir(filepath.Join(dir, "a-sli.yaml"))
		var pe *fs.PathError
		if !errors.As(err, &pe) {
			t.Fatal(err)
		}
	})
}

// TestExampleDefinitions checks the files users copy compile to what their
// comments say.
func TestExampleDefinitions(t *testing.T) {
	s, err := LoadDir(filepath.Join("..", "..", "config", "slos"))
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]SLO{}
	for _, x := range s {
		by[x.Name] = x
	}
	if len(by) != 3 {
		t.Fatalf("%d SLOs: %v", len(by), s)
	}
	a := by["checkout-availability"]
	if a.Target != 0.999 || a.Window.Rolling != 30*24*time.Hour || !reflect.DeepEqual(a.Alerts, DefaultAlerts()) || a.MinEvents != 20 || a.Good.Status != "ok" {
		t.Errorf("availability %+v", a)
	}
	l := by["checkout-latency"]
	if l.Target != 0.99 || l.Good.DurationMs.Op != "<=" || len(l.Alerts) != 2 || l.Alerts[1].Short != 2*time.Hour {
		t.Errorf("latency %+v", l)
	}
	m := by["checkout-monthly"]
	if m.Window.Calendar != "month" || m.Window.Location.String() != "Europe/Paris" || m.Budgeting != Timeslices || !m.HasBad {
		t.Errorf("monthly %+v", m)
	}
	// The demo event of the README counts as good for each of them.
	e := &Event{Service: "checkout", Operation: "POST /orders", Status: "ok", DurationMs: 42}
	for _, x := range s {
		if counted, good := x.Classify(e); !counted || !good {
			t.Errorf("%s: counted %v good %v", x.Name, counted, good)
		}
	}
}
