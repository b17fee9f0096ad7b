package clock_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cogniforge/cogniforge/pkg/clock"
)

// A test hands code a Fake and moves it instead of sleeping: a retry due in
// an hour runs as soon as the test says an hour has passed.
func ExampleFake() {
	c := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c.AfterFunc(time.Hour, func() { fmt.Println("retry at", c.Now().Format(time.TimeOnly)) })
	c.Advance(59 * time.Minute)
	fmt.Println("waiting:", c.Waiters())
	_ = c.Sleep(context.Background(), time.Minute) // returns at once, moving the clock
	fmt.Println("waiting:", c.Waiters())
	// Output:
	// waiting: 1
	// retry at 01:00:00
	// waiting: 0
}
