// Package streams archives every event that passes the bus into a stream
// chosen by its type, keeps it for the stream's retention, and reads it back:
// queries for debugging after the fact and replays that re-deliver a time
// range in its original order.
//
// Streams are named groups of event types with a retention: by default
// "api" (7 days), "security" (30 days) and "system" (14 days, and every
// type no other stream claims); config/streams/streams.yaml changes them
// (see ParseConfig).
//
// The archive lives in the store port (store.Store): one item per event,
// under a partition per stream and UTC day, its sort key the time the bus
// accepted the event and a sequence number, so a range read is in publish
// order; each item expires with its stream's retention. In AWS the same
// streams are EventBridge archives (infra/streams.tf) and replays are
// EventBridge StartReplay; this package is the embedded side and the format
// both share (CloudEvents in structured JSON).
//
// Archiver is the bus decorator: it archives what the wrapped publisher
// accepted, asynchronously through a bounded buffer, so an archive write
// never fails the publish and slows it only when the buffer is full (then it
// waits at most Config.OverflowWait and counts the event as lost). Failed
// writes are retried with backoff; every outcome is counted (OpenTelemetry
// counters and Stats) and every lost event is logged with its id.
//
// Query returns what a filter selects in memory; Scan streams it, a batch
// at a time in the same order, for readers of a whole archive (rebuilds of
// read models from it: projection.ArchiveSource).
//
// A replay re-delivers the archived events of a filter in archive order,
// each with the same id and data plus the extension attributes
// replayed=true and replayid, so consumers guarded by pkg/idempotency
// (which keys on source and id) do nothing twice. Replayed events are not
// archived again. A corrupt archived record is skipped and counted, never
// fatal.
//
// Archive, Archiver and Replayer are safe for concurrent use.
package streams
