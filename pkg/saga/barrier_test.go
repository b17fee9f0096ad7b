package saga_test

import (
	"testing"

	"github.com/cogniforge/cogniforge/pkg/saga/sagatest"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func TestBarrierMemory(t *testing.T) {
	sagatest.Run(t, func(*testing.T) store.Store { return memory.New(memory.Config{}) })
}

func TestBarrierBolt(t *testing.T) {
	sagatest.Run(t, func(t *testing.T) store.Store {
		s, err := bolt.Open(bolt.Config{Dir: t.TempDir(), GroupCommit: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
