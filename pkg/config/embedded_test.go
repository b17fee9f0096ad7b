package config_test

import (
	"testing"

	"github.com/cogniforge/cogniforge/pkg/config"
	"github.com/cogniforge/cogniforge/pkg/config/configtest"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func TestEmbeddedContract(t *testing.T) {
	backends := []struct {
		name string
		new  func(t *testing.T) config.ParameterStore
	}{
		{"memory", func(t *testing.T) config.ParameterStore {
			return config.NewEmbedded(memory.New(memory.Config{}), nil)
		}},
		{"bolt", func(t *testing.T) config.ParameterStore {
			st, err := bolt.Open(bolt.Config{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			return config.NewEmbedded(st, nil)
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { configtest.Run(t, b.new) })
	}
}
