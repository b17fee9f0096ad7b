// Command governance-auditor audits every API spec (OWASP API Top 10)
// daily and whenever a spec changes, detects breaking changes with the
// callers they would affect, publishes the findings as catalog events and
// serves the governance dashboard over its function URL (see pkg/apigov).
// This file is only wiring.
package main

import (
	"os"

	"github.com/cogniforge/cogniforge/pkg/registry/governancefn"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func main() { os.Exit(wiring.Main(governancefn.Name, governancefn.Build)) }
