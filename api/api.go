// Package api holds the OpenAPI 3.1 documents of the HTTP APIs the
// functions serve and catalog.yaml, which lists every API version with the
// function serving it and its lifecycle state. They are embedded, so the
// functions (lifecycle headers, rate limits) and the CLI (api list, audit,
// diff) read the same files wherever they run; pkg/apicatalog parses them.
package api

import "embed"

// Files is catalog.yaml and every spec it names.
//
//go:embed catalog.yaml *.yaml
var Files embed.FS

// CatalogFile is the name of the catalog in Files.
const CatalogFile = "catalog.yaml"
