//go:build kafka

package wiring

import (
	"context"
	"strings"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/cogniforge/cogniforge/pkg/bus/kafkabus"
)

func TestFromEnvKafkaBus(t *testing.T) {
	broker, err := kfake.NewCluster(kfake.SeedTopics(1, "bus-topic"))
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
	p, closeFn, err := FromEnv(context.Background(), envOf(map[string]string{
		EnvKafkaBrokers: " " + strings.Join(broker.ListenAddrs(), ",") + ", ", EnvKafkaTopic: "bus-topic"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if _, ok := p.Bus.(*kafkabus.Publisher); !ok {
		t.Fatalf("bus is %T, want the Kafka publisher", p.Bus)
	}
	ev := cloudevents.NewEvent()
	ev.SetID("1")
	ev.SetSource("s")
	ev.SetType("t.v1")
	errs, err := p.Bus.Publish(context.Background(), []cloudevents.Event{ev})
	if err != nil || errs[0] != nil {
		t.Fatalf("publish to %s: %v %v", EnvKafkaTopic, err, errs)
	}
	if _, _, err := FromEnv(context.Background(), envOf(map[string]string{EnvKafkaBrokers: " , "}), nil); err == nil ||
		!strings.Contains(err.Error(), EnvKafkaBrokers) {
		t.Errorf("brokers naming nothing: err = %v, want one naming %s", err, EnvKafkaBrokers)
	}
}
