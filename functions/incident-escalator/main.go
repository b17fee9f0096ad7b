// Command incident-escalator starts an incident's escalation state machine
// and runs its steps: each level's on-call targets are notified on the
// policy's channels until someone acknowledges (see pkg/incident
// Escalator). This file is only wiring.
package main

import (
	"os"

	"github.com/cogniforge/cogniforge/pkg/registry/incidentfn"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func main() { os.Exit(wiring.Main(incidentfn.Escalator, incidentfn.BuildEscalator)) }
