package events

import (
	"context"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
)

// ReferenceDescriber returns how jsonschema, the reference validator,
// describes data of each type of c: the FieldErrors the catalog gave before
// it had a validator of its own. For the tests of package events_test.
func ReferenceDescriber(tb testing.TB, c *Catalog) func(typ string, data []byte) []FieldError {
	ref := referenceSchemas(tb, c)
	return func(typ string, data []byte) []FieldError { return referenceDescribe(ref[typ], data) }
}

// SameProblems reports whether two lists hold the same field errors in any
// order.
var SameProblems = sameProblems

// NewChecked is New through the sdk's setters and Validate only: the
// reference New's direct construction must agree with.
func NewChecked(ctx context.Context, typ, source string, data any, opts ...Option) (cloudevents.Event, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.id == "" {
		o.id = "fixed-id" // New's random id would differ between the two
	}
	if o.time.IsZero() {
		o.time = time.Unix(0, 1)
	}
	return newChecked(ctx, typ, source, data, &o)
}
