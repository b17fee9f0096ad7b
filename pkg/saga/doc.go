// Package saga runs distributed transactions as sagas: ordered steps, each
// an action and a compensation that undoes it, orchestrated by a Step
// Functions state machine generated from a small YAML spec.
//
// # Steps
//
// A Step[In, Out] is two plain Go functions of (context, typed input).
// NewFunction turns it into a faas.Function that serves both phases; the
// task payload (Task, CloudEvent type TaskType) carries the saga id, the
// step name and the phase: "forward" runs the action, "compensation" its
// undo. One function per service serves both, so the generated Parameters
// only differ in "phase".
//
// # Guarantees (the barrier)
//
// Every phase goes through a Barrier: one store record per saga id, step
// and phase (partition "saga#<id>", sort "step#<step>#<phase>"), changed
// only by conditional puts. The forward record is the single point where
// the action and its compensation meet, so their order is decided by one
// conditional write and holds across processes and Lambda instances
// (DynamoDB conditional writes on AWS):
//
//   - Duplicate delivery: a repeated action or compensation finds its
//     record finished and answers the first result (or the first business
//     error) without running anything; a success re-publishes its event
//     with the same id, which consumers drop as a duplicate.
//   - Null compensation: a compensation for an action that never ran
//     writes the action's record as "blocked" (IfAbsent) and succeeds
//     without calling the business compensation. The same holds for an
//     action that refused with a business error, which by contract left no
//     effect.
//   - Hanging: an action that arrives after its compensation finds its
//     record blocked, aborted or fenced (a succeeded action whose
//     compensation began) and is refused with Saga.Hanging, doing nothing.
//     An action attempt still running when the compensation came (the
//     compensation turned its pending record into "aborted") notices when
//     it tries to record success, undoes itself and answers Saga.Hanging
//     too.
//
// Costs: on DynamoDB an action is 2 single-item writes (create pending,
// record the result) and a compensation 5 requests; a duplicate is 2.
// ReadStatus (`cogniforge saga status`) lists the records of a saga.
//
// # Why the barrier and the effect cannot diverge
//
// The store writes one item atomically, so the barrier record and a
// service's own state (stock, a charge) cannot be written in one
// transaction. The protocol does not need them to be:
//
//  1. the action first writes its record "pending", then runs the effect,
//     then records the result (a conditional put on the version it wrote);
//  2. if the process dies anywhere in between, the record stays pending:
//     a retry re-runs the effect, and a compensation aborts the record and
//     runs the undo;
//  3. so effects must be idempotent per saga id (re-running a completed or
//     partly completed effect converges to one application), and
//     compensations must undo whatever part exists and leave a tombstone
//     keyed by the saga id that makes a later effect for the same saga a
//     no-op. pkg/orders does this with one conditionally written record
//     per saga (payment, shipment, order) or a per-saga hold inside the
//     SKU record (stock), so each business write is itself atomic.
//
// With these two properties every interleaving of crashes, retries and
// duplicates ends with the effect applied exactly once (forward finished)
// or not at all (compensated).
//
// # Errors
//
// The names a Retry or Catch matches are constants here: ErrBusiness and
// ErrInvalidInput (refusals, never retried, no effect), ErrTransient
// (retried), ErrHanging, ErrStuck and ErrCompensated (the two failure
// endings of an execution). Any unnamed error from business code is
// reported as ErrTransient.
//
// # Events and tracing
//
// Each finished phase publishes a catalog event (saga step
// succeeded/failed, compensation succeeded/failed) with the saga id as
// correlationid and subject, and the saga's traceparent (carried in the
// task payload) when the context has no span, so one trace spans the saga.
// The state machine itself emits saga started/completed/compensated/stuck
// with events:putEvents tasks. A success event is delivered at least once:
// when the bus refuses it, the step fails with Saga.TransientError and the
// retry publishes it again (same id, see SuccessEventID).
//
// # Definitions
//
// ParseSpec reads a saga spec and Generate writes its ASL: each step's
// Catch runs the compensations of every step begun so far (its own
// included: it is a null compensation when the step refused, and it fences
// a late retry when the step timed out) in reverse order, compensations
// retry with backoff and end in a Saga.Stuck state that emits a saga stuck
// event when they keep failing, a rolled-back execution fails with
// Saga.Compensated and a JSON cause {"failedStep","error","message",
// "compensated"} listing the compensations that undid something, in the
// order they ran; a successful one outputs every step's result.
//
// # Testing
//
// A test-only fault hook (Fault, Config.Faults, $COGNIFORGE_SAGA_FAULTS=1
// for the registry's functions) makes a step fail a given number of times
// from a "faults" list in the saga input, so retried, stuck and refused
// steps can be driven through the real definitions and functions. Package
// sagatest is the barrier contract suite for any store.
//
// Barrier, functions and generated definitions are safe for concurrent
// use; nothing here holds global state.
package saga
