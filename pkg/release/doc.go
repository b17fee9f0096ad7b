// Package release shifts a function alias's traffic from one version to
// another in steps and rolls back on its own when the new version breaches
// its checks: canary (10% for 10 minutes, then 100%), linear (10% more every
// interval) and blue-green (all at once, the old version kept for an
// instant rollback).
//
// A Controller keeps each release in the store and moves the alias through
// the Aliases port (Lambda UpdateAlias with RoutingConfig in
// pkg/release/lambdaalias; StoreAliases for the local runtime). Each step
// is judged from the new version's request.completed events, counted
// exactly once per event by a Counter into minute buckets (requests,
// errors, a latency histogram, and the good and total events of every SLO
// that selects them), or by an SLO's burn rate over a window. A breach
// rolls the alias back at once; too few requests hold the step, and too
// many holds roll back too (no verdict is not a pass).
//
// Every decision is written to the release's record with a conditional
// put, then published as a dev.cogniforge.release.*.v1 event from the
// record's outbox, so a decision is published at least once with a stable
// id (<release>/<seq>) even when the bus fails. The alias is changed
// before the record says so, and every change is idempotent, so a step
// retried after a crash moves nothing twice. At most one release runs per
// function alias (a lock item written with the record).
//
// The step loop itself is the release state machine
// (statemachines/release.asl.json): a Task calls Check, a Wait state waits
// what it answers, until the release is done. Controller and Counter are
// safe for concurrent use.
package release
