package wiring

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/bus/cesink"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/test/testenv"
)

func envOf(m map[string]string) Env { return func(k string) string { return m[k] } }

func TestFromEnvEmbedded(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name      string
		env       map[string]string
		wantStore string
		wantBus   string
	}{
		{"memory", map[string]string{}, "memory", "none"},
		{"bolt", map[string]string{EnvDataDir: dir}, "bolt", "none"},
		{"knative", map[string]string{EnvSink: "http://127.0.0.1:1/broker"}, "memory", "sink"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, closeFn, err := FromEnv(context.Background(), envOf(tt.env), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer closeFn()
			switch p.Store.(type) {
			case *memory.Store:
				if tt.wantStore != "memory" {
					t.Errorf("store is memory, want %s", tt.wantStore)
				}
			case *bolt.Store:
				if tt.wantStore != "bolt" {
					t.Errorf("store is bolt, want %s", tt.wantStore)
				}
			default:
				t.Errorf("store is %T", p.Store)
			}
			if p.Catalog == nil || p.AWS != nil {
				t.Errorf("catalog %v aws %v", p.Catalog, p.AWS)
			}
			_, perr := p.Bus.Publish(context.Background(), []cloudevents.Event{cloudevents.NewEvent()})
			switch tt.wantBus {
			case "none":
				if perr == nil || !strings.Contains(perr.Error(), "K_SINK") {
					t.Errorf("unconfigured bus error = %v, want one naming what to set", perr)
				}
			case "sink":
				if _, ok := p.Bus.(*cesink.Sink); !ok {
					t.Errorf("bus is %T, want *cesink.Sink", p.Bus)
				}
			}
		})
	}
}

func TestFromEnvAWSUsesEndpoint(t *testing.T) {
	endpoint := testenv.StartMoto(t)
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	cfg := testenv.AWSConfig(t, endpoint)
	if err := dynamo.CreateTable(context.Background(), dynamodb.NewFromConfig(cfg), "platform-test", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	hooked := false
	p, closeFn, err := FromEnv(context.Background(), envOf(map[string]string{"AWS_ENDPOINT_URL": endpoint, EnvTable: "platform-test"}), nil,
		WithAWSConfig(func(*aws.Config) { hooked = true }))
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if !hooked || p.AWS == nil {
		t.Fatal("AWS config hook not called")
	}
	if _, ok := p.Store.(*dynamo.Store); !ok {
		t.Fatalf("store is %T, want DynamoDB", p.Store)
	}
	it, err := p.Store.Put(context.Background(), store.Item{Key: store.Key{Partition: "p", Sort: "s"}, Value: []byte("v")}, store.Condition{IfAbsent: true})
	if err != nil || it.Version != 1 {
		t.Fatalf("put through moto: %+v %v", it, err)
	}
	if _, err := p.Store.Put(context.Background(), it, store.Condition{IfAbsent: true}); !errors.Is(err, store.ErrConditionFailed) {
		t.Errorf("second IfAbsent put: %v", err)
	}
}

// The adapters name the events they make from platform payloads; the
// catalog must know those names, or such events fail validation.
func TestAdapterEventTypesAreInTheCatalog(t *testing.T) {
	if faas.ScheduleFiredType != events.TypeScheduleFired || faas.SecretRotationType != events.TypeSecretRotationRequested {
		t.Fatalf("faas and events disagree: %s/%s vs %s/%s", faas.ScheduleFiredType, faas.SecretRotationType,
			events.TypeScheduleFired, events.TypeSecretRotationRequested)
	}
	catalog, err := events.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{faas.ScheduleFiredType, faas.SecretRotationType} {
		if !catalog.Has(typ) {
			t.Errorf("catalog has no schema for %s", typ)
		}
	}
}

// FromEnv hands functions a catalog that compiles each schema on first use
// (issue 9); every schema it defers must still compile, or an event type
// would fail only once deployed.
func TestFromEnvCatalogCompilesEverySchema(t *testing.T) {
	p, closeFn, err := FromEnv(context.Background(), envOf(map[string]string{}), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if len(p.Catalog.Types()) == 0 {
		t.Fatal("empty catalog")
	}
	if err := p.Catalog.CompileAll(); err != nil {
		t.Errorf("the function's catalog holds a schema that does not compile: %v", err)
	}
}
