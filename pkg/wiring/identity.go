package wiring

import (
	"net/http"
	"os"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// IdentityMiddleware identifies every caller of fn's HTTP handler
// (apiclient), so that the lifecycle counts and the rate limits after it
// know the client: the IAM principal is trusted on AWS Lambda, where the
// adapter sets it; no API key is known yet (a key registry replaces the nil
// Keys once there is one).
func IdentityMiddleware(p Ports, fn faas.Function) (func(http.Handler) http.Handler, error) {
	id := apiclient.Identifier{TrustPrincipalHeader: os.Getenv("AWS_LAMBDA_FUNCTION_NAME") != ""}
	return id.Middleware, nil
}
