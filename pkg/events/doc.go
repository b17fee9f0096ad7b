// Package events is the CogniForge CloudEvents catalog in Go: the type names,
// typed payloads, a constructor that fills the envelope (id, time,
// correlation, causation, W3C traceparent) and a Catalog that validates an
// event's envelope and data against the JSON Schemas embedded from the
// top-level events directory.
//
// A Catalog's types and schemas are fixed once built and it is safe for
// concurrent use; it compiles every schema when built, or each on the first
// use of its type with CompileOnFirstUse (a function's cold start); validation
// errors are *ValidationError values named CogniForge.InvalidEvent that list
// every bad field. CheckCompatible implements the versioning rule: a schema
// may change only if every event valid before stays valid; anything else is
// a new type version.
package events
