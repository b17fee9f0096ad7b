// Command chaos-injector starts and stops chaos faults over its function
// URL and its queue (see pkg/chaos). This file is only wiring.
package main

import (
	"os"

	"github.com/cogniforge/cogniforge/pkg/registry"
	"github.com/cogniforge/cogniforge/pkg/registry/chaosfn"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func main() {
	os.Exit(wiring.Main(chaosfn.Name, chaosfn.Builder(chaosfn.Deps{Names: registry.Names, Functions: registry.Build})))
}
