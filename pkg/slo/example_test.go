package slo_test

import (
	"fmt"
	"time"

	"github.com/cogniforge/cogniforge/pkg/slo"
)

// Parse compiles an OpenSLO definition; Classify then says whether a
// request-completed event counts for the SLO, and whether it is good.
func Example() {
	def := `
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-latency
spec:
  service: checkout
  indicator:
    metadata: {name: checkout-fast}
    spec:
      ratioMetric:
        good: {metricSource: {type: cogniforge, spec: {service: checkout, durationMs: "<=300"}}}
        total: {metricSource: {type: cogniforge, spec: {service: checkout}}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{targetPercent: 99}]
`
	slos, err := slo.Parse("latency.yaml", []byte(def))
	if err != nil {
		fmt.Println(err)
		return
	}
	s := slos[0]
	fmt.Println(s.Name, s.Target, s.Window.Rolling, s.Budgeting, len(s.Alerts), "rules")
	// The default page rule's threshold scales with the 28-day window.
	fmt.Printf("page over %v and %v at %.2fx\n", s.Alerts[0].Long, s.Alerts[0].Short, s.Alerts[0].Factor(s.Window.Rolling))
	for _, e := range []slo.Event{
		{Service: "checkout", DurationMs: 120, Time: time.Now()},
		{Service: "checkout", DurationMs: 900},
		{Service: "payments", DurationMs: 5},
	} {
		counted, good := s.Classify(&e)
		fmt.Println(e.Service, e.DurationMs, "counted:", counted, "good:", good)
	}

	// Errors name the file, the document, the field and what was expected.
	_, err = slo.Parse("latency.yaml", []byte(def+"    # typo\n  objectivs: []\n"))
	fmt.Println(err)
	// Output:
	// checkout-latency 0.99 672h0m0s Occurrences 4 rules
	// page over 1h0m0s and 5m0s at 13.44x
	// checkout 120 counted: true good: true
	// checkout 900 counted: true good: false
	// payments 5 counted: false good: false
	// latency.yaml: document 1 (SLO checkout-latency): spec.objectivs: unknown field; expected one of description, service, indicator, indicatorRef, timeWindow, budgetingMethod, objectives, alertPolicies (line 18)
}
