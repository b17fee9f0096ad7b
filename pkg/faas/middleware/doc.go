// Package middleware holds the cross-cutting concerns every CogniForge
// function gets, each a faas.Middleware: Tracing, Logging, Recover, Timeout,
// Validate and Accept. They know no platform: the adapters in faas/lambda,
// faas/gcf and faas/cehttp compose them (see faas/adapter.Defaults) around
// single events and batches alike.
package middleware
