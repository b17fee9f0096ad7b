// Package wiring wires a function's ports from its environment, once at
// cold start: the store, the event bus, the event catalog, the logger and
// the tracer. It is the only place that decides between AWS services and the
// embedded ones, so function code and the pkg/ core never do.
//
// The choice, in order:
//   - on AWS Lambda (AWS_LAMBDA_RUNTIME_API set) or with AWS_ENDPOINT_URL set
//     (LocalStack, moto): DynamoDB table $COGNIFORGE_TABLE and EventBridge bus
//     $COGNIFORGE_EVENT_BUS, through aws-sdk-go-v2 (which honours
//     AWS_ENDPOINT_URL itself);
//   - otherwise the embedded store: bbolt in $COGNIFORGE_DATA_DIR when set,
//     memory when not; and the bus: a CloudEvents HTTP sink at $K_SINK
//     (Knative) when set, else an error for functions that publish;
//   - either way, $COGNIFORGE_KAFKA_BROKERS (seed brokers) puts the bus on
//     Kafka instead: events go to $COGNIFORGE_KAFKA_TOPIC as CloudEvents in
//     the Kafka binding (pkg/bus/kafkabus).
package wiring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/cogniforge/cogniforge/pkg/bus/cesink"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// Environment variables read by FromEnv.
const (
	EnvTable    = "COGNIFORGE_TABLE"     // DynamoDB table, default "cogniforge"
	EnvEventBus = "COGNIFORGE_EVENT_BUS" // EventBridge bus, default "cogniforge"
	EnvDataDir  = "COGNIFORGE_DATA_DIR"  // embedded store directory
	EnvSink     = "K_SINK"               // Knative sink for published events

	// EnvKafkaBrokers puts the bus on Kafka: comma-separated seed brokers
	// (host:port). Published events go to $COGNIFORGE_KAFKA_TOPIC (default
	// kafkabus.DefaultTopic) as CloudEvents in the Kafka binding, instead
	// of EventBridge or the Knative sink.
	EnvKafkaBrokers = "COGNIFORGE_KAFKA_BROKERS"
	EnvKafkaTopic   = "COGNIFORGE_KAFKA_TOPIC"
)

// Ports are what a function is built from.
type Ports struct {
	Store   store.Store
	Bus     bus.Publisher
	Catalog *events.Catalog
	Logger  *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// AWS is the SDK configuration when the ports use AWS services, nil
	// when they are embedded.
	AWS *aws.Config
	// Config reads the users' declarative files (SLOs ...); nil when the
	// environment names none ($COGNIFORGE_CONFIG_DIR or, in AWS,
	// $COGNIFORGE_CONFIG_SSM_PATH).
	Config ConfigSource
	// Executions starts state machines by name; nil when there are none
	// (AWS: $COGNIFORGE_STATE_MACHINE_ARN_PREFIX; locally the runtime's).
	Executions Executions
}

// Builder builds a function from its ports.
type Builder func(Ports) (faas.Function, error)

// unconfiguredBus refuses to publish, naming what to set.
type unconfiguredBus struct{}

func (unconfiguredBus) Publish(context.Context, []cloudevents.Event) ([]error, error) {
	return nil, errors.New("platform: no event bus configured: run on AWS Lambda, set AWS_ENDPOINT_URL, set K_SINK, or set COGNIFORGE_KAFKA_BROKERS")
}

// Env reads the environment; tests pass a map's lookup instead of os.Getenv.
type Env func(string) string

func (e Env) get(key, def string) string {
	if v := e(key); v != "" {
		return v
	}
	return def
}

// UsesAWS reports whether the environment points at AWS services.
func UsesAWS(env Env) bool {
	return env("AWS_LAMBDA_RUNTIME_API") != "" || env("AWS_ENDPOINT_URL") != ""
}

// Option tunes FromEnv.
type Option func(*fromEnvOptions)

type fromEnvOptions struct {
	awsHooks []func(*aws.Config)
}

// WithAWSConfig lets the caller adjust the AWS configuration before any
// client is made from it (tracing middleware, retries).
func WithAWSConfig(hook func(*aws.Config)) Option {
	return func(o *fromEnvOptions) { o.awsHooks = append(o.awsHooks, hook) }
}

// FromEnv builds the ports for one function process. close releases them.
func FromEnv(ctx context.Context, env Env, logger *slog.Logger, opts ...Option) (p Ports, close func() error, err error) {
	var o fromEnvOptions
	for _, opt := range opts {
		opt(&o)
	}
	if env == nil {
		env = os.Getenv
	}
	if logger == nil {
		logger = slog.Default()
	}
	// A function validates a few of the catalog's types: compiling each
	// schema when its type is first seen keeps the rest off the cold start
	// (issue 9). pkg/events' tests compile the embedded catalog eagerly.
	catalog, err := events.NewCatalog(events.CompileOnFirstUse())
	if err != nil {
		return Ports{}, nil, fmt.Errorf("platform: event catalog: %w", err)
	}
	p = Ports{Catalog: catalog, Logger: logger, Now: time.Now, Config: configFromEnv(env, nil)}
	close = func() error { return nil }
	if UsesAWS(env) {
		cfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return Ports{}, nil, fmt.Errorf("platform: AWS configuration: %w", err)
		}
		for _, hook := range o.awsHooks {
			hook(&cfg)
		}
		p.AWS = &cfg
		p.Config = configFromEnv(env, &cfg)
		p.Executions = executionsFromEnv(env, &cfg)
		if p.Store, err = dynamoStore(cfg, env.get(EnvTable, "cogniforge")); err != nil {
			return Ports{}, nil, err
		}
		if p.Bus, err = eventBridgeBus(cfg, env.get(EnvEventBus, "cogniforge")); err != nil {
			return Ports{}, nil, err
		}
		return kafkaBus(env, p, close)
	}
	if dir := env(EnvDataDir); dir != "" {
		s, err := bolt.Open(bolt.Config{Dir: dir, GroupCommit: true})
		if err != nil {
			return Ports{}, nil, fmt.Errorf("platform: embedded store in %s: %w", dir, err)
		}
		p.Store, close = s, s.Close
	} else {
		p.Store = memory.New(memory.Config{})
	}
	p.Bus = unconfiguredBus{}
	if sink := env(EnvSink); sink != "" {
		if p.Bus, err = cesink.New(sink, nil); err != nil {
			return Ports{}, nil, err
		}
	}
	return kafkaBus(env, p, close)
}
