package registry_test

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/registry"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// The local runtime and the CLI build every deployable function from one set
// of ports, or look one up by the name of its functions/ directory. (The list
// grows with every capability, so the example checks it rather than print it.)
func Example() {
	catalog, err := events.NewCatalog()
	if err != nil {
		fmt.Println(err)
		return
	}
	ports := wiring.Ports{
		Store: memory.New(memory.Config{}), Bus: &bustest.Recorder{}, Catalog: catalog,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}

	fns, err := registry.Build(ports)
	fmt.Println("built every function:", err == nil && len(fns) == len(registry.Names()))

	e, err := registry.Lookup("payment")
	if err != nil {
		fmt.Println(err)
		return
	}
	fn, err := e.Build(ports)
	fmt.Println(fn.Name, err)

	_, err = registry.Lookup("no-such-function")
	fmt.Println("unknown name refused:", err != nil)
	// Output:
	// built every function: true
	// payment <nil>
	// unknown name refused: true
}
