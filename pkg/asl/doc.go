// Package asl is an Amazon States Language interpreter: it compiles Step
// Functions definitions (JSONPath query language) and runs them locally with
// the semantics of AWS Step Functions.
//
// Compile parses and checks a definition once; every JSONPath, payload
// template (Parameters, ResultSelector, ItemSelector) and intrinsic call is
// compiled then, so running a state never re-parses anything. A
// *StateMachine is immutable and safe for concurrent use.
//
// Compiling is built for large definitions (a 20,000-state chain compiles
// in some 20 ms): the States object is read state by state with a
// streaming decoder (jsonv.Stream) instead of being decoded into a tree
// first, strings share the definition's text, paths and payload nodes that
// repeat across states are compiled once and shared, and error paths are
// built only for an error. Errors are still reported all at once, in
// state-name order.
//
// StateMachine.Start begins an Execution in its own goroutine and
// StateMachine.Run waits for it. An execution is configured by an
// ExecutionConfig: its input, a Clock (RealClock, or a FastClock on which
// Wait states and retry intervals cost nothing), a TaskInvoker that runs
// Task states (Lambda functions and service integrations, keyed by resource
// ARN), an optional Step Functions Local mock test case, a TaskTokens
// registry for .waitForTaskToken callbacks, and whether to record the
// AWS-shaped event history. Cancelling the context or calling Stop aborts
// an execution.
//
// Nothing need run forever or take the memory: Compile refuses a machine
// that could never end (no terminal state that StartAt leads to, AWS's
// MISSING_END_STATE) and, with MaxDefinitionSize, a definition over AWS's
// 1 MiB; an execution can be given AWS's history limit (MaxHistoryEvents:
// 25,000 events for Standard, counted even when no history is kept), a
// duration (MaxDuration: five minutes for Express) and a number of states
// it may enter (MaxTransitions).
//
// Every state type is supported: Pass, Task, Choice, Wait, Succeed, Fail,
// Parallel and Map (inline; a distributed Map's items are processed inline
// too), with input and output processing in AWS order (InputPath,
// Parameters, the state's work, ResultSelector, ResultPath, OutputPath),
// the context object ($$), Retry (interval, backoff, MaxDelaySeconds, FULL
// jitter) and Catch. Failures are *Error values named as AWS names them;
// States.Runtime (a path that selects nothing, an intrinsic given a bad
// argument) always fails the execution: States.ALL does not catch it.
//
// Values are those of package jsonv: *jsonv.Object, []any, string, float64,
// bool and nil. Objects keep their members in order, as AWS does: the
// document order of the input and of task results, a payload template's
// order for what Parameters, ResultSelector and ItemSelector build, and for
// ResultPath a replaced field keeping its place while a new one goes last;
// States.JsonToString, States.Format, wildcards, deep scans and the output
// show that order. Plain encoding/json values given as input or returned by
// a TaskInvoker are accepted and converted (a map's keys sorted, its order
// being lost). The interpreter never modifies a value it was given;
// ResultPath copies the objects on its way. Outputs share structure with the
// input and the definition's literals, so callers must treat them as
// read-only too.
package asl
