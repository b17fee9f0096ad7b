package kafkabus_test

import (
	"context"
	"fmt"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cogniforge/cogniforge/pkg/bus/kafkabus"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
)

// A function fed from Kafka the way Lambda's self-managed Kafka event
// source mapping feeds it, with an in-process broker standing in for the
// cluster.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	broker, _ := kfake.NewCluster(kfake.SeedTopics(1, "cogniforge-events", "cogniforge-events-dlq"))
	defer broker.Close()

	producer, _ := kgo.NewClient(kgo.SeedBrokers(broker.ListenAddrs()...))
	defer producer.Close()
	pub, _ := kafkabus.New(kafkabus.Config{Client: producer})
	ev := cloudevents.NewEvent()
	ev.SetID("1")
	ev.SetSource("//checkout")
	ev.SetType("dev.cogniforge.request.completed.v1")
	_ = ev.SetData("application/json", map[string]string{"status": "ok"})
	if _, err := pub.Publish(ctx, []cloudevents.Event{ev}); err != nil {
		fmt.Println(err)
	}

	done := make(chan string, 1)
	fn := faas.Function{Name: "printer", Handler: func(_ context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
		done <- ev.Type()
		return nil, nil
	}}
	consumer, _ := kgo.NewClient(append(kafkabus.ConsumerOptions("printer", kafkabus.DefaultTopic), kgo.SeedBrokers(broker.ListenAddrs()...))...)
	defer consumer.Close()
	m, _ := kafkabus.NewMapping(kafkabus.MappingConfig{Client: consumer, Invoke: lambda.NewInvoker(fn).Invoke, DeadLetterTopic: "cogniforge-events-dlq"})
	for {
		_ = m.Poll(ctx)
		select {
		case typ := <-done:
			fmt.Println("handled", typ)
			return
		default:
		}
	}
	// Output: handled dev.cogniforge.request.completed.v1
}
