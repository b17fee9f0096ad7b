// Package apidiff finds the changes between two versions of an OpenAPI
// document and the clients a breaking one would affect.
//
// Compare wraps oasdiff as a library: every one of its backward
// compatibility checks runs, changes graded error or warning are Breaking,
// the rest of its changelog (info) NonBreaking. Each change names its check
// id and its operation as "METHOD /path-template". Bad input (empty, over
// MaxSpecBytes, not OpenAPI 3, an unresolved or external $ref) is a
// *SpecError wrapping one of the Err* kinds, naming the document.
//
// Client impact comes from dev.cogniforge.request.completed.v1 events
// (the ones SLOs count): Result.AddImpact lists, on each breaking change,
// the callers (the event's caller field) that used the operation since a
// given time, with call counts and the last time seen. Events match an
// operation by service (the API's catalog name) and operation (the
// template, a concrete path it matches, or the operationId). ReadTraffic
// reads captured events, one CloudEvent a line, as CI passes them.
//
// Everything here is pure: no clock, no I/O beyond the readers given, safe
// for concurrent use.
package apidiff
