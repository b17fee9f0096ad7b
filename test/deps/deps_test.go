// Package deps keeps the dependency direction: the engine, the store port,
// the catalog, the handler contract and every capability's core link no
// platform adapter and no cloud SDK; only the adapters, the wiring and the
// CLI do. It asks `go list -deps`, the same graph the linker sees.
package deps

import (
	"os"
	"os/exec"
	"slices"
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
	kafkaClient   = "github.com/twmb/franz-go"
	kafkaAdapter  = module + "pkg/bus/kafkabus"
)

var platforms = []string{lambdaRuntime, functionsFW, grpc, awsSDK, adapters, gcfAdapter, httpAdapter, wiring, ebAdapter, kafkaClient, kafkaAdapter}

func TestDependencyDirection(t *testing.T) {
	rules := []struct {
		pkgs      []string
		forbidden []string
	}{
		// The contract test the issue names: the engine links no platform.
		{[]string{"pkg/asl"}, append([]string{"github.com/cloudevents/", "go.opentelemetry.io/otel/sdk"}, platforms...)},
		{[]string{"pkg/asl/validate"}, platforms},
		{[]string{"pkg/store"}, platforms},
		{[]string{"pkg/events"}, platforms},
		// The Kafka binding is shared by the Kafka bus and the Lambda
		// Kafka trigger; neither the binding nor the trigger links a client.
		{[]string{"pkg/kafkace"}, platforms},
		{[]string{"pkg/faas/lambda"}, []string{kafkaClient, kafkaAdapter}},
		{[]string{"pkg/faas"}, append([]string{ceClient, module + "pkg/telemetry"}, platforms...)},
		{[]string{"pkg/faas/middleware"}, platforms},
		{[]string{"pkg/faas/adapter"}, platforms},
		{[]string{"pkg/telemetry"}, platforms},
		{[]string{"pkg/bus"}, append([]string{ceClient}, platforms...)},
		{[]string{"pkg/saga"}, platforms},
		{[]string{"pkg/orders"}, platforms},
		{[]string{"pkg/gateway"}, platforms},
		{[]string{"pkg/idempotency"}, platforms},
		{[]string{"pkg/schedule"}, platforms},
		// The SLO core counts and evaluates over the store port.
		{[]string{"pkg/slo"}, platforms},
		{[]string{"pkg/incident"}, platforms},
		// Notifications reach SNS through notify.SNSPublisher; only the
		// wiring-side pkg/notify/snsnotify links the SDK.
		{[]string{"pkg/notify"}, platforms},
		// The rotation protocol and the file vault reach Secrets Manager
		// only through the Vault port; pkg/secrets/smsecrets links the SDK.
		{[]string{"pkg/secrets"}, platforms},
		// The PostgreSQL rotators link pgx and reach secrets through the
		// Vault port only.
		{[]string{"pkg/secrets/pgrotate"}, platforms},
		// Configuration reaches SSM through config.ParameterStore; only the
		// wiring-side pkg/config/ssmconfig links the SDK.
		{[]string{"pkg/config"}, platforms},
		// The audit trail is written over the store and bus ports.
		{[]string{"pkg/audit"}, platforms},
		// Call policies reach the store and bus through their ports; only
		// pkg/resilience/awsresilience (the SDK middleware) links the SDK.
		{[]string{"pkg/resilience"}, platforms},
		// Discovery keeps its registry over the store port and probes with
		// net/http; the test helpers link nothing more.
		{[]string{"pkg/discovery", "pkg/discovery/discoverytest"}, platforms},
		// Releases move aliases through the Aliases port; only the
		// wiring-side pkg/release/lambdaalias links the Lambda SDK.
		{[]string{"pkg/release"}, platforms},
		// The chaos injector and its data-directory file store reach SSM and
		// the AWS SDK only through pkg/chaos/ssmchaos and pkg/chaos/awschaos.
		{[]string{"pkg/chaos", "pkg/chaos/chaosfile"}, platforms},
		// The archive and replays work over the store and bus ports; the
		// EventBridge replay lives in pkg/streams/ebstreams.
		{[]string{"pkg/streams"}, platforms},
		// Dead letters: the core and the local runtime's side; the SQS one
		// is pkg/dlq/sqsdlq.
		{[]string{"pkg/dlq"}, platforms},
		// Event-sourced aggregates and projections run over the store port;
		// DynamoDB enters only through pkg/store/dynamo, wired by main.
		{[]string{"pkg/eventstore", "pkg/eventstore/eventstoretest", "pkg/projection", "pkg/orderview"}, platforms},
		// The API catalog is read by every function's HTTP middleware
		// (lifecycle, rate limits): it links no platform, and the wiring
		// links no OpenAPI library; specs are parsed by the CLI and the
		// governance auditor only.
		{[]string{"pkg/apicatalog", "pkg/apiclient", "pkg/apicalls", "api"}, platforms},
		// Rate limits run in every function's HTTP middleware over the
		// store port; DynamoDB enters only through the wiring.
		{[]string{"pkg/ratelimit"}, platforms},
		{[]string{"pkg/wiring"}, []string{"github.com/getkin/kin-openapi", "github.com/oasdiff", "github.com/pb33f"}},
		// pkg/apispec validates traffic against the specs in tests: it links
		// no platform, and no function links it (nor kin-openapi through it).
		{[]string{"pkg/apispec"}, platforms},
		{[]string{"functions/...", "pkg/registry"}, []string{module + "pkg/apispec"}},
		// Only the governance auditor parses specs: every other function
		// links no OpenAPI library (the lifecycle and rate-limit middleware
		// read api/catalog.yaml only). The chaos-injector builds every
		// function for its probes (registry.Build) and the chaos-monkey
		// lists them (registry.Names references every builder), so both
		// link whatever any function links.
		{functionsExcept(t, heavyFunctions...), []string{"github.com/getkin/kin-openapi", "github.com/oasdiff", "github.com/pb33f", module + "pkg/governance"}},
		// The OWASP auditor reads specs as YAML nodes (for lines): no
		// platform, no cloud SDK, no HTTP framework.
		{[]string{"pkg/governance"}, platforms},
		// Breaking-change detection: oasdiff and the event catalog, no platform.
		{[]string{"pkg/apidiff"}, platforms},
		// The governance auditor's core: ports only (the OWASP audit comes in
		// as a function, so the core links pkg/governance only through it).
		{[]string{"pkg/apigov"}, platforms},
		// The lifecycle middleware runs in every function: the catalog only,
		// no platform, no OpenAPI library.
		{[]string{"pkg/apilifecycle"}, append([]string{"github.com/getkin/kin-openapi", "github.com/oasdiff", "github.com/pb33f"}, platforms...)},
		// The catalog validates with its own checker: a general JSON Schema
		// library compiles every draft's metaschema in its package init, a
		// fifth of a function's start-up CPU. It may serve the tests as the
		// reference, never a function or the catalog.
		// oasdiff's checker brings it to the governance auditor (and so to
		// the chaos functions, see above).
		{append(functionsExcept(t, heavyFunctions...), "pkg/events"), []string{"github.com/santhosh-tekuri/jsonschema"}},
		// Functions export traces with pkg/telemetry/otlphttp, which encodes
		// the few OTLP messages by hand; otlptracehttp linked gRPC, the
		// protobuf runtime and grpc-gateway to speak HTTP (~140 packages,
		// ~11 MB of a 25 MB binary, a tenth of its cold-start CPU). The
		// generated OTLP types may serve the tests, never a function.
		{[]string{"functions/...", "pkg/telemetry/otelsetup", "pkg/wiring"},
			[]string{grpc, "google.golang.org/protobuf", "github.com/grpc-ecosystem", "go.opentelemetry.io/proto/otlp", "go.opentelemetry.io/otel/exporters/otlp"}},
	}
	for _, r := range rules {
		name := strings.Join(r.pkgs, "+")
		t.Run(name, func(t *testing.T) {
			args := []string{"list", "-deps"}
			for _, p := range r.pkgs {
				args = append(args, "../../"+p)
			}
			out, err := exec.Command("go", args...).CombinedOutput()
			if err != nil {
				t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			deps := strings.Fields(string(out))
			if len(deps) == 0 {
				t.Fatalf("go list -deps %s listed nothing", name)
			}
			for _, d := range deps {
				for _, f := range r.forbidden {
					if d == f || strings.HasPrefix(d, f+"/") {
						t.Errorf("%s depends on %s (forbidden prefix %s): see `go list -deps ./%s`", name, d, f, strings.Join(r.pkgs, " ./"))
					}
				}
			}
		})
	}
}

// functionsExcept lists functions/<name> for every function but those named.
// heavyFunctions link the OpenAPI libraries: the governance auditor, and
// the chaos functions that link every builder.
var heavyFunctions = []string{"governance-auditor", "chaos-injector", "chaos-monkey"}

func functionsExcept(t *testing.T, skip ...string) []string {
	entries, err := os.ReadDir("../../functions")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && !slices.Contains(skip, e.Name()) {
			out = append(out, "functions/"+e.Name())
		}
	}
	return out
}

// The clock every core package and its tests share links the standard
// library only, so depending on it never widens a core package's graph.
func TestClockIsStandardLibraryOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "../../pkg/clock").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps pkg/clock: %v\n%s", err, out)
	}
	for _, d := range strings.Fields(string(out)) {
		if d != module+"pkg/clock" {
			t.Errorf("pkg/clock depends on %s: it may use the standard library only", d)
		}
	}
}
