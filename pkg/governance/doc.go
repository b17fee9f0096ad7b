// Package governance audits OpenAPI 3.x documents against the OWASP API
// Security Top 10 (2023) and probes a running API for the controls a spec
// promises.
//
// Audit reads a document (YAML or JSON) into yaml.v3 nodes, so every
// finding carries the line it points at, checks that every local $ref
// resolves, and runs the static rules Rules lists, each mapped to one OWASP
// category (API1:2023 ... API10:2023) with a severity and a fix hint. A
// Report holds the findings and a compliance score from 0 to 100:
//
//	P     = 10·errors + 3·warnings + 1·infos
//	U     = operations + 1 (the document itself)
//	score = round(100 · (1 − min(1, P / (20·U))))
//
// so the score is a density per operation: a 1,000-operation spec is not
// punished for its size, and two errors per operation on average score 0.
//
// Probe sends a few requests to a running base URL (no credentials to a
// secured operation, an oversized body, a burst for the rate limit) and
// reports what it saw in the same Finding shape, with rules prefixed
// "probe-".
//
// Bad input is an *InputError whose Kind is ErrNotOpenAPI, ErrTooLarge,
// ErrUnresolvedRef or ErrSyntax; the auditor never panics on input (it is
// fuzzed) and follows no YAML alias, so alias bombs cost nothing. Audit is
// safe for concurrent use; it keeps no state between calls.
package governance
