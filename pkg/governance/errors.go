package governance

import (
	"errors"
	"fmt"
)

// The kinds of bad input; an *InputError wraps one of them, so
// errors.Is(err, ErrNotOpenAPI) works on what Audit returns.
var (
	// ErrNotOpenAPI: the document parses but is no OpenAPI 3 document
	// (a package.json, a Swagger 2.0 document, a scalar ...).
	ErrNotOpenAPI = errors.New("not an OpenAPI 3 document")
	// ErrTooLarge: the document is over Options.MaxBytes; it is refused
	// before it reaches the parser.
	ErrTooLarge = errors.New("spec too large")
	// ErrUnresolvedRef: a local $ref points at nothing.
	ErrUnresolvedRef = errors.New("unresolved $ref")
	// ErrSyntax: the document is not valid YAML or JSON.
	ErrSyntax = errors.New("invalid YAML/JSON")
)

// InputError is bad input: the CLI maps every InputError to exit 2.
type InputError struct {
	Kind   error  // ErrNotOpenAPI, ErrTooLarge, ErrUnresolvedRef or ErrSyntax
	Spec   string // the name given to Audit
	Line   int    // where, when known
	Ref    string // the unresolved $ref (ErrUnresolvedRef)
	Path   string // where the $ref is (ErrUnresolvedRef)
	Detail string // what exactly
}

func (e *InputError) Error() string {
	s := e.Kind.Error()
	if e.Spec != "" {
		s = e.Spec + ": " + s
	}
	switch {
	case e.Ref != "":
		s += fmt.Sprintf(" %q at %s", e.Ref, e.Path)
	}
	if e.Line > 0 {
		s += fmt.Sprintf(" (line %d)", e.Line)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *InputError) Unwrap() error { return e.Kind }

// IsInputError reports whether err is bad input (exit 2 in the CLI) rather
// than a failure of the auditor or its context.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}
