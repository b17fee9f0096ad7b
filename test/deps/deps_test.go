// Package deps keeps the dependency direction: the engine, the store port,
// the catalog, the handler contract and every capability's core link no
// platform adapter and no cloud SDK; only the adapters, the wiring and the
// CLI do. It asks `go list -deps`, the same graph the linker sees.
package deps

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/cogniforge/cogniforge/"

// Platform and cloud packages, by import path prefix.
var (
	lambdaRuntime = "github.com/aws/aws-lambda-go"
	functionsFW   = "github.com/GoogleCloudPlatform/functions-framework-go"
	grpc          = "google.golang.org/grpc"
	awsSDK        = "github.com/aws/aws-sdk-go-v2"
	ceClient      = "github.com/cloudevents/sdk-go/v2/client"
	adapters      = module + "pkg/faas/lambda"
	gcfAdapter    = module + "pkg/faas/gcf"
	httpAdapter   = module + "pkg/faas/cehttp"
	wiring        = module + "pkg/wiring"
	ebAdapter     = module + "pkg/bus/eventbridge"
)

var platforms = []string{lambdaRuntime, functionsFW, grpc, awsSDK, adapters, gcfAdapter, httpAdapter, wiring, ebAdapter}

func TestDependencyDirection(t *testing.T) {
	rules := []struct {
		pkg       string
		forbidden []string
	}{
		// The contract test the issue names: the engine links no platform.
		{"pkg/asl", append([]string{"github.com/cloudevents/", "go.opentelemetry.io/otel/sdk"}, platforms...)},
		{"pkg/asl/validate", platforms},
		{"pkg/store", platforms},
		{"pkg/events", platforms},
		{"pkg/faas", append([]string{ceClient, module + "pkg/telemetry"}, platforms...)},
		{"pkg/faas/middleware", platforms},
		{"pkg/faas/adapter", platforms},
		{"pkg/telemetry", platforms},
		{"pkg/bus", append([]string{ceClient}, platforms...)},
		{"pkg/saga", platforms},
		{"pkg/orders", platforms},
		{"pkg/gateway", platforms},
		{"pkg/idempotency", platforms},
		{"pkg/schedule", platforms},
	}
	for _, r := range rules {
		t.Run(r.pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", "./../../"+r.pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list -deps %s: %v\n%s", r.pkg, err, out)
			}
			deps := strings.Fields(string(out))
			if len(deps) == 0 {
				t.Fatalf("go list -deps %s listed nothing", r.pkg)
			}
			for _, d := range deps {
				for _, f := range r.forbidden {
					if d == f || strings.HasPrefix(d, f+"/") {
						t.Errorf("%s depends on %s (forbidden prefix %s): see `go list -deps ./%s`", r.pkg, d, f, r.pkg)
					}
				}
			}
		})
	}
}

// The contract test the issue names in its own words, on its own: if it
// fails, `go list -deps ./pkg/asl` names an adapter again.
func TestASLLinksNoPlatform(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../../pkg/asl").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps ./pkg/asl: %v\n%s", err, out)
	}
	for _, d := range strings.Fields(string(out)) {
		for _, bad := range []string{"aws-lambda-go", "functions-framework", "google.golang.org/grpc"} {
			if strings.Contains(d, bad) {
				t.Errorf("pkg/asl links %s", d)
			}
		}
	}
}
