// Package slo is the SLO capability's core: OpenSLO definitions compiled to
// selectors over request-completed events, SLIs counted exactly once into
// time buckets in the store, error budgets, and multi-window, multi-burn-rate
// alerts (Google SRE Workbook, chapter 5) that fire once and resolve once.
//
// It knows no platform: the aggregator and evaluator work over the store
// port and a publish function, and time comes from the caller, so the same
// code runs in the functions, in `cogniforge slo replay` on virtual time and
// in tests.
package slo
