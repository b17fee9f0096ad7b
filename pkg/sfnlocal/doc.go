// Package sfnlocal is the local Step Functions service: it runs the Task
// states of pkg/asl executions against the real CogniForge functions (in
// process, through the same faas adapters as on Lambda) and the embedded
// backends, and serves the Step Functions JSON API for the local runtime.
//
// Lambda errors keep their names across the adapter, so a definition's
// Retry and Catch match "Saga.BusinessError" locally exactly as on AWS.
package sfnlocal
