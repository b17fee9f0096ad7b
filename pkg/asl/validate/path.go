package validate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonpath"
)

// pathMode says which JSONPath forms a field accepts.
type pathMode uint8

const (
	// anyPath is a JSONPath as ASL allows it in InputPath, OutputPath,
	// ItemsPath and Parameters: wildcards, recursive descent, unions, slices
	// and filters are fine.
	anyPath pathMode = iota
	// referencePath identifies exactly one node: only .name, ['name'] and
	// [index] steps (ResultPath, Choice Variable, *Path value fields).
	referencePath
)

// checkPath reports a syntax error in a JSONPath, or nil. It checks the shape
// only; whether the path resolves is a run-time question. The syntax is the
// interpreter's own parser (pkg/asl/jsonpath), so the validator and the
// engine can never disagree on what a path is; a context object path ($$.)
// is parsed as the path after its first $.
func checkPath(p string, mode pathMode) error {
	if !strings.HasPrefix(p, "$") {
		return fmt.Errorf("%q is not a JSONPath (it must start with $)", p)
	}
	src, shift := p, 0
	if strings.HasPrefix(p, "$$") {
		src, shift = p[1:], 1
	}
	compiled, err := jsonpath.Compile(src)
	if err != nil {
		var se *jsonpath.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("%q is not a valid JSONPath: %s at offset %d", p, se.Msg, se.Offset+shift)
		}
		return fmt.Errorf("%q is not a valid JSONPath: %v", p, err)
	}
	if mode == referencePath && !compiled.IsReference() {
		return fmt.Errorf("%q is not a reference path: only .name, ['name'] and [index] steps are allowed (no wildcards, recursive descent, unions, slices, filters or length())", p)
	}
	return nil
}
