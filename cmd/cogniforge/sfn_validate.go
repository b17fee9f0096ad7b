package main

// validateDefinition returns static diagnostics for a definition. Until
// pkg/asl/validate lands, asl.Compile's structural checks are the validator.
func validateDefinition(raw []byte) []string { return nil }
