// Command incident-manager opens incidents from alerts (SLO burn-rate
// alerts, stuck sagas), one per dedup key, and serves the incident API
// (see pkg/incident). This file is only wiring.
package main

import (
	"os"

	"github.com/cogniforge/cogniforge/pkg/registry/incidentfn"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func main() { os.Exit(wiring.Main(incidentfn.Name, incidentfn.Build)) }
