// Package releasefn builds the release-controller from its ports: in AWS
// the aliases are Lambda's (pkg/release/lambdaalias, deployed names
// prefixed by $COGNIFORGE_FUNCTION_NAME_PREFIX), locally they are kept in
// the store beside the functions the runtime hosts; SLO definitions for
// burn-rate checks come from the ports' configuration, as the SLO
// functions read them.
package releasefn

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/registry/slofn"
	"github.com/cogniforge/cogniforge/pkg/release"
	"github.com/cogniforge/cogniforge/pkg/release/lambdaalias"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// Name is the function's name.
const Name = release.FunctionName

// EnvFunctionNamePrefix turns a function's name into its deployed Lambda
// name ("cogniforge-" for cogniforge-checkout).
const EnvFunctionNamePrefix = "COGNIFORGE_FUNCTION_NAME_PREFIX"

// Ports' aliases and version publisher: Lambda with AWS, else the store.
func aliases(p wiring.Ports) (release.Aliases, release.Publisher) {
	if p.AWS != nil {
		a := lambdaalias.New(lambda.NewFromConfig(*p.AWS), os.Getenv(EnvFunctionNamePrefix))
		return a, a
	}
	a := &release.StoreAliases{Store: p.Store, Functions: p.Functions, Now: p.Now}
	return a, a
}

// Aliases returns the store-kept aliases the local runtime routes by (nil
// with AWS ports, where Lambda routes).
func Aliases(p wiring.Ports) *release.StoreAliases {
	if p.AWS != nil {
		return nil
	}
	return &release.StoreAliases{Store: p.Store, Functions: p.Functions, Now: p.Now}
}

// Build is the release-controller's wiring.Builder.
func Build(p wiring.Ports) (faas.Function, error) {
	slos, err := slofn.Definitions(context.Background(), p)
	if err != nil {
		return faas.Function{}, err
	}
	al, pub := aliases(p)
	counter := &release.Counter{Store: p.Store, SLOs: slos}
	rs, err := release.New(release.Config{Store: p.Store, Aliases: al, Counter: counter, Now: p.Now, Publish: release.PublishTo(p.Bus)})
	if err != nil {
		return faas.Function{}, err
	}
	var start release.Starter
	if p.Executions != nil {
		start = p.Executions.StartExecution
	}
	return release.NewFunction(release.FunctionConfig{Releases: rs, Counter: counter, Aliases: al, Versions: pub, Start: start, Now: p.Now,
		Exists: func(err error) bool { return errors.Is(err, wiring.ErrExecutionExists) }}), nil
}
