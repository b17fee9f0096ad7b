package idempotency

import "github.com/cogniforge/cogniforge/pkg/faas"

// Error names, as faas adapters report them and ASL Catch/Retry match them.
const (
	NameInProgress      = "Idempotency.InProgress"
	NamePayloadMismatch = "Idempotency.PayloadMismatch"
	NameKeyMissing      = "Idempotency.KeyMissing"
	NamePersistence     = "Idempotency.PersistenceError"
)

// Errors returned by a Guard. Match them with errors.Is; faas.ErrorName
// reports their names through any wrapping.
var (
	// ErrInProgress: another invocation with the same key is running now.
	// Retryable: once it finishes, a retry gets its stored result.
	ErrInProgress = &faas.Error{Name: NameInProgress, Message: "idempotency: an invocation with the same key is in progress", Retryable: true}
	// ErrPayloadMismatch: the key was seen with a different payload, which
	// is a caller bug (a reused id), so it is not retryable.
	ErrPayloadMismatch = &faas.Error{Name: NamePayloadMismatch, Message: "idempotency: same key, different payload"}
	// ErrKeyMissing: Config.KeyPath found nothing in the event and
	// Config.RequireKey is set.
	ErrKeyMissing = &faas.Error{Name: NameKeyMissing, Message: "idempotency: no idempotency key in the event"}
	// ErrPersistence: the store failed, or the record was lost because the
	// invocation outlived its in-progress expiry and another took over.
	// Retryable.
	ErrPersistence = &faas.Error{Name: NamePersistence, Message: "idempotency: record could not be read or written", Retryable: true}
)
