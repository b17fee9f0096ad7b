package resilience

// State is a circuit breaker's state.
type State string

// The breaker states.
const (
	// Closed: calls go through; failures are counted.
	Closed State = "closed"
	// Open: calls fail at once with Resilience.CircuitOpen until the open
	// timeout passes.
	Open State = "open"
	// HalfOpen: a limited number of probe calls go through; enough
	// successes close the breaker, a failure opens it again.
	HalfOpen State = "half-open"
)
