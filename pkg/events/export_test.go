package events

import "testing"

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
