// Package governancefn builds the governance-auditor from its ports: the
// API catalog and specs are the embedded ones (package api), reports and
// the call tally go to the ports' store, findings to the ports' bus. It is
// the one function that links the OpenAPI libraries (oasdiff, kin-openapi):
// a test/deps rule keeps them out of every other function.
package governancefn

import (
	"fmt"
	"io/fs"

	"github.com/cogniforge/cogniforge/api"
	"github.com/cogniforge/cogniforge/pkg/apicatalog"
	"github.com/cogniforge/cogniforge/pkg/apigov"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// Name is the function's name.
const Name = apigov.FunctionName

// Config is the auditor's configuration over the embedded catalog and
// specs, with Audit as the OWASP audit; store, bus and clock are the
// ports'.
func Config(p wiring.Ports) (apigov.Config, error) {
	// Parse, not Load: a spec the catalog names but the build lacks is a
	// finding of the audit (its report says so), not a reason not to start.
	raw, err := fs.ReadFile(api.Files, api.CatalogFile)
	if err != nil {
		return apigov.Config{}, fmt.Errorf("governance-auditor: %w", err)
	}
	cat, err := apicatalog.Parse(raw)
	if err != nil {
		return apigov.Config{}, fmt.Errorf("governance-auditor: %w", err)
	}
	return apigov.Config{Store: p.Store, Bus: p.Bus, Audit: Audit, Catalog: cat, Specs: api.Files, Now: p.Now}, nil
}

// Build is the governance-auditor's wiring.Builder.
func Build(p wiring.Ports) (faas.Function, error) {
	cfg, err := Config(p)
	if err != nil {
		return faas.Function{}, err
	}
	g, err := apigov.New(cfg)
	if err != nil {
		return faas.Function{}, err
	}
	return apigov.NewFunction(g), nil
}
