// Package localruntime is the embedded local runtime: it hosts every CogniForge
// function in one process with no cloud at all. It gives each function what
// AWS would: an HTTP endpoint (the function URL), a queue with SQS's
// semantics (receive counts saved before the handler runs, a visibility
// timeout after which an event with no outcome is delivered again and its
// handler's context cancelled, dead letters on the receive after
// MaxReceives, whatever the error), schedules (EventBridge Scheduler rate()/cron()) and an
// event bus that delivers each published event to the queues of the
// functions that consume its type (EventBridge rules to SQS).
//
// Queued events and dead letters are kept in the store, so with a durable
// store (bbolt in --data-dir) nothing is lost across a restart: messages not
// yet acknowledged are delivered again when the runtime starts.
//
// A Runtime is safe for concurrent use. Time comes from an injectable Clock,
// so tests move it instead of sleeping.
package localruntime
