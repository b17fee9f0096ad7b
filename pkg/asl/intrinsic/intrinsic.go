// Package intrinsic parses and evaluates the Amazon States Language intrinsic
// functions of the JSONPath query language (States.Format, States.Array,
// States.Hash, ...), the expressions allowed as values of "key.$" fields in
// Parameters, ResultSelector, ItemSelector and the *Path fields that accept
// them.
//
// A string is parsed once into an Expr (syntax, arity and the argument types
// that are known statically: literals and the result types of nested calls)
// and then evaluated any number of times, concurrently if wanted, against a
// Resolver that reads JSONPaths from the state input and the context object.
// An Expr is immutable after Parse and safe for concurrent use.
//
// Values are those of package jsonv: *jsonv.Object (members in document
// order), []any, string, float64, bool and nil. Results are built from the
// same types; numbers are always float64.
//
// Failures are *Error values carrying the ASL error name. Evaluation failures
// (an argument of the wrong type or out of range) are named States.Runtime:
// that is what AWS Step Functions reports for them (see the conformance case
// 64-runtime-error-intrinsic-bad-argument), which also means States.ALL does not
// catch them. An error returned by the Resolver is passed through unchanged.
//
// Objects print their members in their order, as AWS does: States.JsonToString
// and States.Format show a document's keys as written, a template's keys in
// template order, and States.JsonMerge's result has the first object's keys
// then the second's new ones. Where AWS's behaviour depends on something a
// decoded value no longer holds (whether a number was written 1 or 1.0),
// the output is deterministic instead: whole numbers print without a
// decimal point.
package intrinsic

import (
	"strings"
)

// Resolver returns the value at a JSONPath: "$..." is read from the state
// input, "$$..." from the context object. Its errors are returned by Eval
// unchanged, so the caller decides their ASL name.
type Resolver func(path string) (any, error)

// NameRuntime is the ASL error name of a failed intrinsic evaluation or of an
// intrinsic that does not parse.
const NameRuntime = "States.Runtime"

// maxDepth is how deeply calls may nest: AWS allows up to 10 intrinsic
// functions nested within a field.
const maxDepth = 10

// Error is a parse or evaluation failure of an intrinsic function.
type Error struct {
	// Name is the ASL error name a Catch or Retry matches (NameRuntime).
	Name string
	// Cause says which function and argument failed and why.
	Cause string
}

func (e *Error) Error() string { return e.Name + ": " + e.Cause }

func errorf(format string, args ...any) *Error {
	return &Error{Name: NameRuntime, Cause: sprintf(format, args...)}
}

// IsIntrinsic reports whether s looks like an intrinsic function call: it
// starts with "States." and ends with ")", ignoring surrounding white space.
// It does not check the syntax; Parse does.
func IsIntrinsic(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "States.") && strings.HasSuffix(s, ")") && strings.Contains(s, "(")
}

// Expr is a parsed intrinsic function call.
type Expr struct {
	fn   *function
	args []argument
	src  string
	// tmpl is States.Format's template when it is a literal, split once at
	// parse time so evaluation only joins.
	tmpl *template
}

// String returns the source text the Expr was parsed from.
func (e *Expr) String() string { return e.src }

// Name returns the called function's name, e.g. "States.Format".
func (e *Expr) Name() string { return e.fn.name }

// Paths returns every JSONPath argument of the call and of its nested calls,
// in source order, so a validator can check their syntax.
func (e *Expr) Paths() []string {
	var out []string
	var walk func(*Expr)
	walk = func(x *Expr) {
		for _, a := range x.args {
			switch a.kind {
			case argPath:
				out = append(out, a.path)
			case argCall:
				walk(a.call)
			}
		}
	}
	walk(e)
	return out
}

// Eval evaluates the call. resolve is called once for each path argument; it
// may be nil when the expression has no path arguments.
func (e *Expr) Eval(resolve Resolver) (any, error) {
	vals := make([]any, len(e.args))
	for i := range e.args {
		a := &e.args[i]
		switch a.kind {
		case argLiteral:
			vals[i] = a.lit
		case argPath:
			if resolve == nil {
				return nil, errorf("%s: argument %d: no resolver for path %s", e.fn.name, i+1, a.path)
			}
			v, err := resolve(a.path)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		case argCall:
			v, err := a.call.Eval(resolve)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
	}
	for i, v := range vals {
		k := e.fn.param(i)
		if !k.accepts(v) {
			return nil, errorf("%s: argument %d (%s) must be %s, got %s", e.fn.name, i+1, e.args[i].source, k, describe(v))
		}
	}
	return e.fn.eval(e, vals)
}
