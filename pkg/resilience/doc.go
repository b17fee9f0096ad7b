// Package resilience composes call policies around a function's outgoing
// calls, as a service mesh would but inside the function: a timeout per
// attempt and overall, retries with backoff, a circuit breaker shared by
// every instance through the store, and a bulkhead per downstream.
//
// # Use
//
// A function declares the downstreams it calls (Downstream: a Kind, whether
// calls are idempotent); the user's configuration, config/resilience/
// <function>.yaml through the configuration source or the
// $COGNIFORGE_RESILIENCE JSON, tunes them (ParseConfig, Resolve: every
// problem named by its field path, nothing applied when anything is
// wrong). A Registry builds one Policy per downstream at cold start; calls
// go through Do (any function), Transport (an http.RoundTripper),
// Publisher (a bus.Publisher: the event gateway's PutEvents), Store (a
// store.Store: the saga steps' store calls) or, for aws-sdk-go-v2 clients,
// the awsresilience middleware.
//
// # Policies, outermost first
//
//   - Timeout: the whole call ends at the earlier of Policy's Timeout and
//     the context's deadline (the invocation's); each attempt at its
//     AttemptTimeout, with an error named Resilience.Timeout.
//   - Retry: exponential backoff with full jitter and a cap; a retry
//     budget (a share of calls) so a failing downstream sees at most
//     (1+ratio) times its traffic; Retry-After honoured; errors retried only
//     when Retryable says so (faas.Error.Retryable, AWS throttling codes, a
//     Retryable method) and calls only when idempotent (WithIdempotent
//     overrides per call). No backoff runs past the deadline: a wait that
//     would end after it ends the call at once with the last error.
//   - Bulkhead: at most MaxConcurrent calls in flight per downstream and
//     instance, MaxQueued waiting at most QueueTimeout, the rest refused
//     with Resilience.BulkheadFull. It starts no goroutine. The limits come
//     from DefaultBulkheads per kind (database 20/50/30s, llm 10/100/60s,
//     external 15/50/30s, file 5/20/20s), overridable per kind or
//     downstream. The function-level bulkhead is Lambda reserved
//     concurrency, set in infra/.
//   - Breaker: closed, open, half-open; opens on FailureThreshold
//     consecutive failures or a FailureRate over at least MinCalls in a
//     rolling Window; after OpenTimeout lets HalfOpenProbes probes through;
//     SuccessThreshold successes close it, a failure opens it again.
//
// # The shared breaker
//
// A Lambda instance's memory is its own, so an in-process breaker opens in
// one instance while the others keep calling a dead dependency. Here the
// breaker's state is one store item per downstream, changed only by
// conditional writes (read, change, put if the version is unchanged;
// retried on conflict), so every instance sees one state and each change
// has one writer, which publishes it as a dev.cogniforge.resilience.
// breaker.{opened,halfopened,closed}.v1 event. Calls read a per-instance
// copy refreshed at most once per CacheTTL (1s): in the closed and open
// states a call makes no store call; an instance's counts are written with
// its refresh, and at once when they would open the breaker. Half-open
// probes are taken and reported with a conditional write each, so the
// probe limit holds across instances. A store in trouble never fails a
// call: the breaker keeps its last known state.
//
// gobreaker v2's DistributedCircuitBreaker and its SharedDataStore were
// the model, but do not fit (v2.4.0): its Execute makes four store round
// trips around every call (GetData, Lock, Unlock, SetData), where this
// breaker makes none on the success path; it holds the breaker's lock in
// the store for the whole call, so the calls of every instance to one
// downstream run one at a time; a store error fails the call itself; and
// its store methods take no context, so the invocation's deadline cannot
// bound them.
//
// Admin forces a breaker open or closed for a while (the chaos capability
// uses ForceOpen) and lists every breaker and the bulkheads' use, which
// instances making calls write to the store every ReportInterval
// (`cogniforge resilience status`).
//
// # Metrics
//
// With a Meter, a Registry records resilience.calls, .failures,
// .rejections (reason bulkhead or circuit) and .retries per downstream,
// and observes resilience.breaker.state and the bulkheads' in_use and
// queued as OpenTelemetry metrics.
//
// Everything here is safe for concurrent use.
package resilience
