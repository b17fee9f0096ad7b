// Command chaos-monkey injects, on its schedule, one short fault into one
// opted-in function (see pkg/chaos Monkey). This file is only wiring.
package main

import (
	"os"

	"github.com/cogniforge/cogniforge/pkg/registry"
	"github.com/cogniforge/cogniforge/pkg/registry/chaosfn"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func main() {
	os.Exit(wiring.Main(chaosfn.Monkey, chaosfn.MonkeyBuilder(chaosfn.Deps{Names: registry.Names})))
}
