// Package chaos injects faults into CogniForge functions from configuration
// with hard limits: an Injector's Middleware sits in every function's chain
// (see pkg/wiring) and, when a fault targets the function, adds latency,
// fails the invocation with a named error (so ASL Catch and Retry see it as
// a real failure), holds it until its deadline, answers an HTTP status,
// denies outgoing calls to named hosts (Transport) or AWS services
// (chaos/awschaos), forces a named circuit breaker open (the Breakers port),
// or puts bounded memory or CPU pressure on the instance.
//
// Faults are one JSON shape (Document, Fault), validated by Validate against
// Limits: a rate in [0,1], a mandatory expiry at most Limits.MaxDuration
// ahead (24 h by default), a blast radius (extensive only with an approval),
// and targets (function, alias or version, event type, event content). A
// Source provides the document: SSM Parameter Store (chaos/ssmchaos), an
// environment variable (ParseDocument), a file in a local data directory
// (chaos/chaosfile) or memory (MemoryStore). The Injector caches it for a
// TTL per instance, so with no fault active the middleware's cost is one
// atomic load and a clock read; when the source fails or the document does
// not validate, nothing is injected.
//
// Manager starts, lists and clears faults in a Store (the CLI and the
// chaos-injector function use it). An Injector is safe for concurrent use.
package chaos
