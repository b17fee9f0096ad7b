// Command health-checker probes every registered service instance each
// minute, marks it healthy or unhealthy after N results in a row, and
// serves the discovery registry over its function URL (see pkg/discovery).
// This file is only wiring.
package main

import (
	"os"

	"github.com/cogniforge/cogniforge/pkg/registry/discoveryfn"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func main() { os.Exit(wiring.Main(discoveryfn.Name, discoveryfn.Build)) }
