package wiring

import (
	"net/http"
	"os"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// IdentityMiddleware identifies every caller of fn's HTTP handler
// (apiclient), so that the lifecycle counts and the rate limits after it
// know the client: API keys are looked up in the registry in the ports'
// store (`cogniforge api keys`; only their SHA-256 is stored), the IAM
// principal is trusted on AWS Lambda, where the adapter sets it, anyone
// else is anonymous by address.
func IdentityMiddleware(p Ports, fn faas.Function) (func(http.Handler) http.Handler, error) {
	id := apiclient.Identifier{TrustPrincipalHeader: os.Getenv("AWS_LAMBDA_FUNCTION_NAME") != ""}
	if p.Store != nil {
		id.Keys = apiclient.NewKeyStore(p.Store, apiclient.KeyStoreConfig{Now: p.Now})
	}
	return id.Middleware, nil
}
