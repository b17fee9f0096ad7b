package schedule_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/cogniforge/cogniforge/pkg/schedule"
)

// Parse takes the expression a function's schedule trigger declares; Next
// says when it fires after a given instant, in UTC, as EventBridge Scheduler
// would fire it.
func Example() {
	now := time.Date(2026, 11, 27, 10, 7, 30, 0, time.UTC) // a Friday

	for _, expr := range []string{
		"rate(5 minutes)",
		"cron(0 9 ? * MON-FRI *)", // 09:00 on weekdays
		"at(2026-12-24T18:00:00)",
	} {
		s, err := schedule.Parse(expr)
		if err != nil {
			fmt.Println(err)
			continue
		}
		first := s.Next(now)
		fmt.Println(s, "->", exampleTime(first), "then", exampleTime(s.Next(first)))
	}

	// Modifiers EventBridge has but the local runtime does not are refused by
	// name rather than fired at the wrong time.
	_, err := schedule.Parse("cron(0 9 ? * 6#3 *)")
	fmt.Println(errors.Is(err, schedule.ErrSyntax))
	// Output:
	// rate(5 minutes) -> 2026-11-27T10:10:00Z then 2026-11-27T10:15:00Z
	// cron(0 9 ? * MON-FRI *) -> 2026-11-30T09:00:00Z then 2026-12-01T09:00:00Z
	// at(2026-12-24T18:00:00) -> 2026-12-24T18:00:00Z then never
	// true
}

// exampleTime prints a exampleTime time; the zero time means the schedule is done.
func exampleTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Format(time.RFC3339)
}
