//go:build !kafka

package wiring

import (
	"context"
	"strings"
	"testing"
)

func TestFromEnvKafkaNeedsTheBuildTag(t *testing.T) {
	_, _, err := FromEnv(context.Background(), envOf(map[string]string{EnvKafkaBrokers: "127.0.0.1:9092"}), nil)
	if err == nil || !strings.Contains(err.Error(), "-tags kafka") {
		t.Fatalf("err = %v, want one saying to build with -tags kafka", err)
	}
}
