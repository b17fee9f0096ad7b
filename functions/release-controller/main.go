// Command release-controller shifts a function alias's traffic to a new
// version in steps (canary, linear, blue-green), judges each step by the
// new version's request.completed events and rolls back on a breach (see
// pkg/release). This file is only wiring.
package main

import (
	"os"

	"github.com/cogniforge/cogniforge/pkg/registry/releasefn"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func main() { os.Exit(wiring.Main(releasefn.Name, releasefn.Build)) }
