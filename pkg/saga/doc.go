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
// only differ in "phase". A function serves only its own steps (Step.Names,
// by default its own name): a task addressed to another step is refused
// with Saga.WrongStep before anything is written.
//
// # The saga record
//
// Besides its steps, a saga has one record (SagaKey: sort "saga" in the
// saga's partition) holding the hash of its input, how it ended and its
// saga-level events. The generated definition keeps it through two more
// phases, served by the first step's function:
//
//   - "begin", before the first step: a new saga id is recorded with its
//     input hash (one conditional put, IfAbsent). The same id again with
//     the same input answers what the saga already did: a completed saga's
//     output (the execution succeeds with it), a compensated saga's error
//     and cause (the execution fails with them), and a running or stuck
//     saga runs again, which the barriers make a resume. The same id with
//     another input fails the execution with Saga.Conflict: no step runs
//     and nothing of the first saga is compensated.
//   - "end", at each ending: the record becomes completed, compensated or
//     stuck (a conditional put on its version), with the ending's event.
//
// ReadStatus (`cogniforge saga status`) shows the overall state: running,
// completed, compensating (running with compensations begun), compensated
// or stuck, and the number of conflicting executions refused.
//
// # Outbox: saga-level events
//
// The saga started/completed/compensated/stuck events are accepted by the
// same conditional put that decides them: they are stored in the saga
// record. Before that put, a marker item names the event in one of
// OutboxShards partitions ("saga-outbox#NN"); after it, the function
// publishes the event and deletes the marker. If the publish fails or the
// function dies, the marker stays and a Relay (the scheduled saga-outbox
// function, or `cogniforge saga drain`) publishes the event from the
// record later. So an accepted saga event is published at least once,
// with a stable id ("<sagaId>/saga/<kind>") that lets consumers drop
// repeats; the saga's outcome never waits for the bus.
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
//   - Another input: the forward record keeps the hash of the saga input
//     it ran for; a task for the same saga and step with another input is
//     refused with Saga.Conflict (nothing runs, the first answer is not
//     given to the other input), and the generated definition ends such an
//     execution without compensating.
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
//     per saga (payment, shipment, order) or a per-saga hold item next to
//     the SKU's count (stock), with the transfer between them marked in
//     the count so that a crash between the two writes is finished, not
//     repeated.
//
// With these two properties every interleaving of crashes, retries and
// duplicates ends with the effect applied exactly once (forward finished)
// or not at all (compensated).
//
// # Errors
//
// The names a Retry or Catch matches are constants here: ErrBusiness and
// ErrInvalidInput (refusals, never retried, no effect), ErrTransient
// (retried), ErrHanging, ErrWrongStep (a task for another step),
// ErrConflict (a saga id reused with another input), ErrStuck and
// ErrCompensated (the two failure endings of a saga). Any unnamed error
// from business code is reported as ErrTransient.
//
// # Events and tracing
//
// Each finished phase publishes a catalog event (saga step
// succeeded/failed, compensation succeeded/failed) with the saga id as
// correlationid and subject, and the saga's traceparent (carried in the
// task payload) when the context has no span, so one trace spans the saga.
// The saga-level events (started/completed/compensated/stuck) go through
// the outbox (above). A step's success event is delivered at least once:
// when the bus refuses it, the step fails with Saga.TransientError and the
// retry publishes it again (same id, see SuccessEventID).
//
// # Definitions
//
// ParseSpec reads a saga spec and Generate writes its ASL: a begin task
// (replay or conflict, see the saga record), then the steps; each step's
// Catch runs the compensations of every step begun so far (its own
// included: it is a null compensation when the step refused, and it fences
// a late retry when the step timed out) in reverse order, compensations
// retry with backoff and end in a Saga.Stuck state that emits a saga stuck
// event when they keep failing, a rolled-back execution fails with
// Saga.Compensated and a JSON cause {"failedStep","error","message",
// "compensated"} listing the compensations that undid something, in the
// order they ran; a successful one outputs every step's result. Each ending
// records itself in the saga record with an end task.
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
