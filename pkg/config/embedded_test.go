package config_test

import (
	"testing"

	"github.com/cogniforge/cogniforge/pkg/config"
	"github.com/cogniforge/cogniforge/pkg/config/configtest"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func TestEmbeddedContract(t *testing.T) {
	configtest.Run(t, func(t *testing.T) config.ParameterStore {
		return config.NewEmbedded(memory.New(memory.Config{}), nil)
	})
}
