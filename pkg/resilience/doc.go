// Package resilience composes call policies around a function's outgoing
// calls: a timeout per attempt and overall, retries with backoff, a circuit
// breaker shared by every instance through the store, and a bulkhead per
// downstream.
package resilience
