// Package apigov is the governance auditor's core: it audits an API's
// OpenAPI document (OWASP API Top 10 rules, through an AuditFunc such as
// pkg/governance.Audit), diffs it against the previous version
// (pkg/apidiff), names the callers each breaking change would affect from
// the request.completed calls it has tallied, keeps the latest report per
// API version in the store and publishes what it found as catalog events
// (dev.cogniforge.api.audited.v1, dev.cogniforge.api.breakingchange.detected.v1).
//
// Guarantees: a spec that cannot be read is reported in the stored report
// and the audited event (score 0, the error), never a crash; the same spec
// text audited twice publishes events with the same ids (derived from the
// API, version and the spec's SHA-256), so redelivery is idempotent for
// consumers that dedupe by id; state lives only in the store, so any
// number of instances may run. A Governor is safe for concurrent use.
package apigov
