// Command secret-rotator answers Secrets Manager's rotation invocations
// (createSecret, setSecret, testSecret, finishSecret) for the secrets it
// is attached to (see pkg/registry/secretsfn). This file is only wiring.
package main

import (
	"os"

	"github.com/cogniforge/cogniforge/pkg/registry/secretsfn"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func main() { os.Exit(wiring.Main(secretsfn.Name, secretsfn.Build)) }
