package main

import "github.com/cogniforge/cogniforge/pkg/asl/validate"

// validateDefinition returns the static diagnostics of pkg/asl/validate for
// a definition, one line each.
func validateDefinition(raw []byte) []string {
	diags := validate.Definition(raw)
	out := make([]string, 0, len(diags))
	for _, d := range diags {
		out = append(out, d.String())
	}
	return out
}
