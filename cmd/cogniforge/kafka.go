package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/bus/kafkabus"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
	"github.com/cogniforge/cogniforge/pkg/kafkace"
	"github.com/cogniforge/cogniforge/pkg/registry"
)

func init() {
	register("kafka", command{summary: "publish CloudEvents to Kafka; feed a function from a topic like Lambda's Kafka trigger", run: runKafka, longRunning: true})
}

const kafkaUsage = `usage:
  cogniforge kafka publish --brokers B[,B..] [--topic T] [--structured] FILE...
        publish each CloudEvent file (structured JSON) as a record in the
        CloudEvents Kafka binding (binary mode unless --structured)
  cogniforge kafka consume --brokers B[,B..] --function NAME [--topic T] [--group G]
        [--dlq-topic T] [--max-attempts N] [--retry-delay D] [--idle D]
        [--publish-topic T] [--data-dir DIR]
        deliver the topic's records to the function as Lambda's self-managed
        Kafka event source mapping does (batches by partition, the function's
        partial batch response, retries from the failed offset); a record that
        fails --max-attempts times goes to --dlq-topic (default TOPIC-dlq) with
        its origin and reason. What the function publishes goes to
        --publish-topic, else is printed on stderr. With --idle it stops after
        that long without records and prints {"invocations","invocationsWithFailures"}.

T defaults to cogniforge-events. Exit 0 ok, 1 when the brokers cannot be
reached or a publish fails, 2 on bad input.
`

func runKafka(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	return runSubcommand(ctx, "kafka", kafkaUsage, map[string]subcommand{
		"publish": kafkaPublish,
		"consume": kafkaConsume,
	}, args, stdout, stderr)
}

func seedBrokers(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("--brokers is required (host:port, comma-separated)")
	}
	return kafkabus.SeedBrokers(s)
}

func kafkaPublish(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kafka publish", flag.ContinueOnError)
	brokers := fs.String("brokers", "", "seed brokers, comma-separated")
	topic := fs.String("topic", kafkabus.DefaultTopic, "topic")
	structured := fs.Bool("structured", false, "structured content mode")
	fs.Usage = func() { io.WriteString(stderr, kafkaUsage) }
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	seeds, err := seedBrokers(*brokers)
	if err == nil && fs.NArg() == 0 {
		err = errors.New("give at least one CloudEvent file")
	}
	var evs []cloudevents.Event
	for _, f := range fs.Args() {
		if err != nil {
			break
		}
		var b []byte
		if b, err = os.ReadFile(f); err != nil {
			break
		}
		var ev cloudevents.Event
		if jerr := json.Unmarshal(b, &ev); jerr != nil {
			err = fmt.Errorf("%s is not a structured CloudEvent: %w", f, jerr)
		} else if verr := ev.Validate(); verr != nil {
			err = fmt.Errorf("%s: %w", f, verr)
		}
		evs = append(evs, ev)
	}
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge kafka publish: %v\n", err)
		return 2
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.RecordDeliveryTimeout(30*time.Second))
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge kafka publish: %v\n", err)
		return 2
	}
	defer cl.Close()
	mode := kafkace.Binary
	if *structured {
		mode = kafkace.Structured
	}
	pub, _ := kafkabus.New(kafkabus.Config{Client: cl, Mode: mode, Topic: func(cloudevents.Event) string { return *topic }})
	errs, err := pub.Publish(ctx, evs)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge kafka publish: %v\n", err)
		return 1
	}
	code := 0
	for i, e := range errs {
		if e != nil {
			fmt.Fprintf(stderr, "cogniforge kafka publish: %s: %v\n", fs.Arg(i), e)
			code = 1
		} else {
			fmt.Fprintf(stdout, "published %s to %s\n", evs[i].ID(), *topic)
		}
	}
	return code
}

func kafkaConsume(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kafka consume", flag.ContinueOnError)
	brokers := fs.String("brokers", "", "seed brokers, comma-separated")
	topic := fs.String("topic", kafkabus.DefaultTopic, "topic")
	function := fs.String("function", "", "function to deliver to")
	group := fs.String("group", "", "consumer group (default cogniforge-FUNCTION)")
	dlq := fs.String("dlq-topic", "", "dead-letter topic (default TOPIC-dlq)")
	attempts := fs.Int("max-attempts", 3, "deliveries of a failing record before it is dead-lettered")
	retry := fs.Duration("retry-delay", time.Second, "wait before a failed partition is delivered again")
	idle := fs.Duration("idle", 0, "stop after this long without records (0: run until interrupted)")
	pubTopic := fs.String("publish-topic", "", "topic for what the function publishes (default: print on stderr)")
	dataDir := fs.String("data-dir", "", "directory of the embedded store; memory when empty")
	fs.Usage = func() { io.WriteString(stderr, kafkaUsage) }
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	seeds, err := seedBrokers(*brokers)
	var entry registry.Entry
	if err == nil {
		if *function == "" {
			err = errors.New("--function is required")
		} else {
			entry, err = registry.Lookup(*function)
		}
	}
	if err == nil && (*attempts < 1 || *retry < 0 || *idle < 0) {
		err = errors.New("--max-attempts must be at least 1, --retry-delay and --idle not negative")
	}
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge kafka consume: %v\n", err)
		return 2
	}
	if *group == "" {
		*group = "cogniforge-" + *function
	}
	if *dlq == "" {
		*dlq = *topic + "-dlq"
	}
	logger := newLogger(stderr, slog.LevelWarn)
	var out bus.Publisher = printBus{w: stderr}
	if *pubTopic != "" {
		pcl, err := kgo.NewClient(kgo.SeedBrokers(seeds...))
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge kafka consume: %v\n", err)
			return 2
		}
		defer pcl.Close()
		out, _ = kafkabus.New(kafkabus.Config{Client: pcl, Topic: func(cloudevents.Event) string { return *pubTopic }})
	}
	ports, closePorts, err := localPorts(ctx, *dataDir, logger, out)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge kafka consume: %v\n", err)
		return dataDirCode(err)
	}
	defer closePorts()
	fn, err := entry.Build(ports)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge kafka consume: %v\n", err)
		return 1
	}
	cl, err := kgo.NewClient(append(kafkabus.ConsumerOptions(*group, *topic), kgo.SeedBrokers(seeds...))...)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge kafka consume: %v\n", err)
		return 2
	}
	defer cl.Close()
	inv := lambda.NewInvoker(fn, adapterOptions(ports)...)
	var delivered, failed atomic.Int64
	m, err := kafkabus.NewMapping(kafkabus.MappingConfig{
		Client: cl, DeadLetterTopic: *dlq, MaxAttempts: *attempts, RetryDelay: *retry, Logger: logger,
		BootstrapServers: strings.Join(seeds, ","),
		Invoke: func(ctx context.Context, payload []byte) ([]byte, error) {
			out, err := inv.Invoke(ctx, payload)
			delivered.Add(1)
			if err != nil || strings.Contains(string(out), `"itemIdentifier"`) {
				failed.Add(1)
			}
			return out, err
		},
	})
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge kafka consume: %v\n", err)
		return 2
	}
	last := time.Now()
	for ctx.Err() == nil {
		before := delivered.Load()
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err := m.Poll(pctx)
		cancel()
		if err != nil && ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
			fmt.Fprintf(stderr, "cogniforge kafka consume: %v\n", err)
			return 1
		}
		if delivered.Load() != before {
			last = time.Now()
		} else if *idle > 0 && time.Since(last) >= *idle {
			break
		}
	}
	b, _ := json.Marshal(map[string]int64{"invocations": delivered.Load(), "invocationsWithFailures": failed.Load()})
	fmt.Fprintf(stdout, "%s\n", b)
	return 0
}
