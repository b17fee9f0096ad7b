package storetest

import (
	"time"

	"github.com/cogniforge/cogniforge/pkg/clock"
)

// Epoch is where every Clock starts: a whole second far enough in the future
// that a real DynamoDB TTL sweeper never removes items written by tests.
var Epoch = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// Clock is the module's fake clock (clock.Fake), for stores and everything
// built on them: tests move it with Advance instead of sleeping, and pass
// its Now method value as a store's Now option. It is safe for concurrent
// use.
type Clock = clock.Fake

// NewClock returns a Clock at Epoch.
func NewClock() *Clock { return clock.NewFake(Epoch) }
