//go:build kafka

package wiring

import (
	"fmt"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cogniforge/cogniforge/pkg/bus/kafkabus"
)

// KafkaBuilt says whether this binary can put the bus on Kafka (built with
// -tags kafka).
const KafkaBuilt = true

// kafkaBus replaces p.Bus with a Kafka publisher when the environment names
// brokers; close then also closes the Kafka client.
func kafkaBus(env Env, p Ports, close func() error) (Ports, func() error, error) {
	brokers := env(EnvKafkaBrokers)
	if brokers == "" {
		return p, close, nil
	}
	seeds, err := kafkabus.SeedBrokers(brokers)
	if err != nil {
		return Ports{}, nil, fmt.Errorf("platform: %s: %w", EnvKafkaBrokers, err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...))
	if err != nil {
		return Ports{}, nil, fmt.Errorf("platform: Kafka client for %s: %w", EnvKafkaBrokers, err)
	}
	topic := env.get(EnvKafkaTopic, kafkabus.DefaultTopic)
	pub, err := kafkabus.New(kafkabus.Config{Client: cl, Topic: func(cloudevents.Event) string { return topic }})
	if err != nil {
		cl.Close()
		return Ports{}, nil, err
	}
	p.Bus = pub
	return p, func() error { cl.Close(); return close() }, nil
}
