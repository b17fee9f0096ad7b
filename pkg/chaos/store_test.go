package chaos_test

import (
	"testing"

	"github.com/cogniforge/cogniforge/pkg/chaos"
	"github.com/cogniforge/cogniforge/pkg/chaos/chaostest"
)

func TestMemoryStoreContract(t *testing.T) {
	chaostest.RunStore(t, func(*testing.T) chaos.Store { return &chaos.MemoryStore{} })
}
