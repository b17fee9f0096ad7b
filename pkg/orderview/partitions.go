package orderview

import (
	"context"
	"encoding/json"

	"github.com/cogniforge/cogniforge/pkg/projection"
)

var _ projection.Partitioner = Projection{}

// Partitions implements projection.Partitioner: the orders, one partition
// per status, and one per customer of an order. The projector's partition
// registry lists them too; this finds them in generations written before
// it, so they can be counted and deleted as well.
func (Projection) Partitions(ctx context.Context, r *projection.Reader) ([]string, error) {
	parts := []string{partOrders}
	for _, s := range Statuses {
		parts = append(parts, partStatus+s)
	}
	items, err := r.Query(ctx, partOrders, "", 0)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, it := range items {
		var o struct {
			CustomerID string `json:"customerId"`
		}
		if json.Unmarshal(it.Value, &o) == nil && o.CustomerID != "" && !seen[o.CustomerID] {
			seen[o.CustomerID] = true
			parts = append(parts, partCustomer+o.CustomerID)
		}
	}
	return parts, nil
}
