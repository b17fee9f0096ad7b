//go:build !kafka

package wiring

import "fmt"

// KafkaBuilt says whether this binary can put the bus on Kafka: built with
// -tags kafka (make build TAGS=kafka). Without the tag the functions do not
// link franz-go, which would add about 7 MB to every binary and to its cold
// start.
const KafkaBuilt = false

// kafkaBus refuses $COGNIFORGE_KAFKA_BROKERS in a binary built without Kafka,
// rather than quietly publishing elsewhere.
func kafkaBus(env Env, p Ports, close func() error) (Ports, func() error, error) {
	if env(EnvKafkaBrokers) == "" {
		return p, close, nil
	}
	return Ports{}, nil, fmt.Errorf("platform: %s is set but this binary was built without Kafka: build it with -tags kafka (make build TAGS=kafka)", EnvKafkaBrokers)
}
