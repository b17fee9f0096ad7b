// Package kafkabus puts the event bus on Kafka (franz-go): a Publisher that
// writes each CloudEvent as a record in the CloudEvents Kafka binding
// (pkg/kafkace), and a Mapping that consumes a topic the way Lambda's
// self-managed Kafka event source mapping does, so the same function code
// runs on EventBridge, on Kafka in AWS (MSK), and on any Kafka cluster.
//
// Records are keyed by the event's partitionkey extension, else its
// subject, else its id: the events of one saga, incident or order keep
// their order in one partition. The Publisher waits for every record's
// acknowledgement and reports each event's outcome; it is safe for
// concurrent use.
package kafkabus

import (
	"context"
	"errors"
	"fmt"
	"strings"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/kafkace"
)

// Config configures a Publisher.
type Config struct {
	// Client produces the records. Required; its owner closes it.
	Client *kgo.Client
	// Topic names the topic of an event. Nil: every event goes to
	// DefaultTopic.
	Topic func(cloudevents.Event) string
	// Mode is the binding's content mode; the zero value is binary.
	Mode kafkace.Mode
}

// DefaultTopic is the topic of every event when Config.Topic is nil.
const DefaultTopic = "cogniforge-events"

// Validate reports every problem of the configuration.
func (c Config) Validate() error {
	if c.Client == nil {
		return errors.New("kafkabus: Config.Client is required")
	}
	return nil
}

// SeedBrokers splits a comma-separated broker list (host:port), dropping
// blanks; an empty result is an error, as a client with no seed broker
// could never connect.
func SeedBrokers(list string) ([]string, error) {
	var out []string
	for _, b := range strings.Split(list, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("kafkabus: broker list %q names no broker (host:port, comma-separated)", list)
	}
	return out, nil
}

// Publisher is a bus.Publisher over Kafka.
type Publisher struct {
	cfg Config
}

var _ bus.Publisher = (*Publisher)(nil)

// New returns a Publisher.
func New(cfg Config) (*Publisher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Topic == nil {
		cfg.Topic = func(cloudevents.Event) string { return DefaultTopic }
	}
	return &Publisher{cfg: cfg}, nil
}

// Publish produces one record per event and waits for the brokers'
// acknowledgements: the slice says, per event, whether it was written. The
// error is non-nil only when ctx ended before anything could be sent.
func (p *Publisher) Publish(ctx context.Context, evs []cloudevents.Event) ([]error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	errs := make([]error, len(evs))
	recs := make([]*kgo.Record, 0, len(evs))
	idx := make([]int, 0, len(evs))
	for i, ev := range evs {
		r, err := Record(ev, p.cfg.Mode)
		if err != nil {
			errs[i] = err
			continue
		}
		r.Topic = p.cfg.Topic(ev)
		recs = append(recs, r)
		idx = append(idx, i)
	}
	if len(recs) == 0 {
		return errs, nil
	}
	for k, res := range p.cfg.Client.ProduceSync(ctx, recs...) {
		if res.Err != nil {
			errs[idx[k]] = fmt.Errorf("kafkabus: produce %s to %s: %w", evs[idx[k]].ID(), recs[k].Topic, res.Err)
		}
	}
	return errs, nil
}

// Record maps ev to a franz-go record in the given content mode, keyed by
// its partitionkey, else subject, else id.
func Record(ev cloudevents.Event, mode kafkace.Mode) (*kgo.Record, error) {
	kr, err := kafkace.Encode(ev, mode)
	if err != nil {
		return nil, err
	}
	r := &kgo.Record{Key: kr.Key, Value: kr.Value}
	if len(r.Key) == 0 {
		if s := ev.Subject(); s != "" {
			r.Key = []byte(s)
		} else {
			r.Key = []byte(ev.ID())
		}
	}
	for _, h := range kr.Headers {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
	}
	return r, nil
}
