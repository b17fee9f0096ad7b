// Package events holds the CogniForge CloudEvents catalog as files: one JSON
// Schema (draft 2020-12) per event type under schemas/, at least one whole
// structured-mode example event per type under examples/, and the last
// released version of every schema under compat/, against which schema changes
// are checked for backward compatibility.
//
// The files are embedded so that the catalog travels inside every binary;
// package github.com/cogniforge/cogniforge/pkg/events compiles them and
// validates events. The file system is read-only and safe for concurrent use.
//
// Naming: a type is dev.cogniforge.<domain>.<name>.v<N> and its schema is
// schemas/<type>.json. A schema may only change in a backward-compatible way
// (see pkg/events.CheckCompatible); any other change is a new type with the
// next version number.
package events

import "embed"

// Files holds schemas/<type>.json, examples/<type>[.<n>].json and
// compat/<type>.json.
//
//go:embed schemas/*.json examples/*.json compat/*.json
var Files embed.FS

// Directories inside Files.
const (
	SchemasDir  = "schemas"
	ExamplesDir = "examples"
	CompatDir   = "compat"
)
