package resilience

import (
	"context"

	"github.com/cogniforge/cogniforge/pkg/store"
)

var _ store.Seeker = Store{}

// QueryAfter implements store.Seeker: a read, retried like Query; it seeks
// when Next does (store.QueryAfter).
func (s Store) QueryAfter(ctx context.Context, partition, prefix, after string, limit int) ([]store.Item, error) {
	return storeDo(ctx, s.Policy, true, func(ctx context.Context) ([]store.Item, error) {
		return store.QueryAfter(ctx, s.Next, partition, prefix, after, limit)
	})
}
