package lambda_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/faastest"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
)

// The IAM principal a function URL authenticated reaches the HTTP
// middleware as apiclient.PrincipalHeader; a caller's own copy of that
// header never does.
func TestFunctionURLPassesTheIAMPrincipalOnly(t *testing.T) {
	var seen []string
	probe := adapter.WithHTTPMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen = append(seen, r.Header.Get(apiclient.PrincipalHeader))
			w.WriteHeader(http.StatusNoContent)
		})
	})
	inv := lambda.NewInvoker(faastest.Function(), append(faastest.Options(), probe)...)
	payload := func(withIAM bool) []byte {
		var m map[string]any
		if err := json.Unmarshal(faastest.LambdaTestdata(t, "lambda-urls-request.json"), &m); err != nil {
			t.Fatal(err)
		}
		m["headers"] = map[string]string{"x-cogniforge-principal": "arn:aws:iam::999999999999:user/forger"}
		if !withIAM {
			delete(m["requestContext"].(map[string]any), "authorizer")
		}
		b, _ := json.Marshal(m)
		return b
	}
	for _, withIAM := range []bool{true, false} {
		out, err := inv.Invoke(context.Background(), payload(withIAM))
		if err != nil {
			t.Fatal(err)
		}
		var resp events.LambdaFunctionURLResponse
		if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("response %s (%v)", out, err)
		}
	}
	if len(seen) != 2 || seen[0] != "arn:aws:iam::111122223333:user/example-user" || seen[1] != "" {
		t.Fatalf("principal headers seen = %q, want the sample's userArn, then none", seen)
	}
}
