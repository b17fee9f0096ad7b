package apigov

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/apicalls"
	"github.com/cogniforge/cogniforge/pkg/apidiff"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// The call tally: one counter per service, hour, operation and caller,
// expiring after the impact window. An hour bucket makes "last seen" exact
// to the hour and keeps one store write per event.
// The layout is pkg/apicalls's, which the function URLs' tally writes too.
const (
	callsPartition = apicalls.PartitionPrefix
	hourLayout     = apicalls.HourLayout
)

// RecordCall tallies one request.completed event (other types are
// ignored), so later breaking changes can name their callers.
func (g *Governor) RecordCall(ctx context.Context, ev cloudevents.Event) error {
	c, ok, err := apidiff.CallFromEvent(ev)
	if err != nil || !ok {
		return err
	}
	if c.Service == "" || c.Operation == "" {
		return nil
	}
	hour := c.At.UTC().Truncate(time.Hour)
	key := apicalls.Key(c.Service, c.Operation, c.Caller, hour)
	exp := apicalls.Expiry(hour, g.cfg.ImpactDays)
	if err := g.cfg.Store.Transact(ctx, []store.Op{{Kind: store.OpAdd, Item: store.Item{Key: key, ExpiresAt: exp}, Delta: 1}}); err != nil {
		return fmt.Errorf("apigov: tally a call of %s: %w", c.Service, err)
	}
	return nil
}

// Calls returns the tallied calls of service since a time, one Call per
// hour, operation and caller, with its Count (At is the end of the hour,
// capped at now).
func (g *Governor) Calls(ctx context.Context, service string, since time.Time) ([]apidiff.Call, error) {
	now := g.cfg.Now()
	var out []apidiff.Call
	for h := since.UTC().Truncate(24 * time.Hour); !h.After(now); h = h.Add(24 * time.Hour) {
		items, err := g.cfg.Store.Query(ctx, callsPartition+service, h.Format(time.DateOnly), 0)
		if err != nil {
			return nil, fmt.Errorf("apigov: read the calls of %s: %w", service, err)
		}
		for _, it := range items {
			parts := strings.SplitN(it.Key.Sort, "|", 3)
			if len(parts) != 3 {
				continue
			}
			hour, err := time.Parse(hourLayout, parts[0])
			if err != nil {
				continue
			}
			at := hour.Add(time.Hour - time.Nanosecond)
			if at.After(now) {
				at = now
			}
			if at.Before(since) {
				continue
			}
			op, _ := url.QueryUnescape(parts[1])
			caller, _ := url.QueryUnescape(parts[2])
			var n int
			fmt.Sscan(string(it.Value), &n)
			if n > 0 {
				out = append(out, apidiff.Call{Service: service, Operation: op, Caller: caller, At: at, Count: n})
			}
		}
	}
	return out, nil
}
