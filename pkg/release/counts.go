package release

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/slo"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// LatencyBounds are the upper bounds (ms) of the latency histogram's
// buckets; the last bucket holds everything slower.
var LatencyBounds = []float64{5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000}

// overflowLatencyMs is reported for a percentile in the last, unbounded
// bucket: over the last bound.
const overflowLatencyMs = 60000

// CountRetention is how long minute counts are kept.
const CountRetention = 7 * 24 * time.Hour

// Counter counts request.completed events that name a version into minute
// buckets per service (the function) and version: requests and errors,
// a latency histogram, and good and total events of every SLO that selects
// them. Each event's marker and its adds are one store transaction, so an
// event delivered twice is counted once. Events with no version are not
// counted: no release can be judged by them.
type Counter struct {
	Store store.Store
	// SLOs are the objectives whose per-version burn rates checks may read.
	SLOs []slo.SLO
}

// Count reports, per event, nil when it is counted (now or before) or has
// no version, or why it was not.
func (c *Counter) Count(ctx context.Context, evs []slo.Event) []error {
	out := make([]error, len(evs))
	for i := range evs {
		e := &evs[i]
		if e.Version == "" {
			continue
		}
		if e.ID == "" || e.Time.IsZero() || e.Service == "" {
			out[i] = fmt.Errorf("release: event %q has no id, time or service to count it by", e.ID)
			continue
		}
		src := e.Source
		if src == "" {
			src = "-"
		}
		adds := map[store.Key]int64{}
		part, minute := countPartition(e.Service, e.Version, e.Time)
		bad := int64(0)
		if e.Status == "error" {
			bad = 1
		}
		adds[store.Key{Partition: part, Sort: minute + "#n"}] += pack(1, bad)
		adds[store.Key{Partition: part, Sort: minute + "#l" + strconv.Itoa(latencyBucket(e.DurationMs))}]++
		for j := range c.SLOs {
			counted, good := c.SLOs[j].Classify(e)
			if !counted {
				continue
			}
			g := int64(0)
			if good {
				g = 1
			}
			adds[store.Key{Partition: part, Sort: minute + "#s#" + c.SLOs[j].Name}] += pack(1, g)
		}
		expiry := e.Time.Add(CountRetention)
		ops := []store.Op{{Kind: store.OpPut, Item: store.Item{Key: store.Key{Partition: "release#seen#" + e.ID, Sort: src}, Value: []byte{'1'}, ExpiresAt: expiry},
			Cond: store.Condition{IfAbsent: true}}}
		keys := make([]store.Key, 0, len(adds))
		for k := range adds {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(a, b int) bool { return keys[a].Sort < keys[b].Sort })
		for _, k := range keys {
			if len(ops) == store.MaxTransactOps {
				break // more SLOs than a transaction holds: the rest are not counted per version
			}
			ops = append(ops, store.Op{Kind: store.OpAdd, Item: store.Item{Key: k, ExpiresAt: expiry}, Delta: adds[k]})
		}
		err := c.Store.Transact(ctx, ops)
		var tx *store.TxError
		if errors.As(err, &tx) {
			continue // counted by an earlier delivery
		}
		out[i] = err
	}
	return out
}

// pack puts total in the high 32 bits and the other count in the low ones,
// so one add counts an event.
func pack(total, other int64) int64 { return total<<32 + other }

func unpack(v int64) (total, other int64) { return v >> 32, v & (1<<32 - 1) }

func latencyBucket(ms float64) int {
	for i, b := range LatencyBounds {
		if ms <= b {
			return i
		}
	}
	return len(LatencyBounds)
}

func countPartition(service, version string, t time.Time) (partition, minute string) {
	u := t.UTC()
	h := u.Unix() / 3600
	return "release#n#" + service + "#" + version + "#" + strconv.FormatInt(h, 10), fmt.Sprintf("%02d", u.Minute())
}

// Window are the counts of one version over a time window.
type Window struct {
	Requests, Errors int64
	// Latency counts requests per LatencyBounds bucket (one more for the
	// overflow).
	Latency []int64
	// SLOs are the good and total events per SLO name.
	SLOs map[string][2]int64 // [good, total]
}

// ErrorRate is Errors / Requests (0 with no requests).
func (w Window) ErrorRate() float64 {
	if w.Requests == 0 {
		return 0
	}
	return float64(w.Errors) / float64(w.Requests)
}

// Percentile is the upper bound of the histogram bucket that holds the
// p-th percentile (p in (0, 100]); 0 with no requests.
func (w Window) Percentile(p float64) float64 {
	var total int64
	for _, n := range w.Latency {
		total += n
	}
	if total == 0 {
		return 0
	}
	rank := int64(math.Ceil(p / 100 * float64(total)))
	var cum int64
	for i, n := range w.Latency {
		cum += n
		if cum >= rank {
			if i < len(LatencyBounds) {
				return LatencyBounds[i]
			}
			return overflowLatencyMs
		}
	}
	return overflowLatencyMs
}

// Read sums a version's minute counts whose minute starts in [from, to].
func (c *Counter) Read(ctx context.Context, service, version string, from, to time.Time) (Window, error) {
	w := Window{Latency: make([]int64, len(LatencyBounds)+1), SLOs: map[string][2]int64{}}
	from, to = from.UTC().Truncate(time.Minute), to.UTC()
	for h := from.Truncate(time.Hour); !h.After(to); h = h.Add(time.Hour) {
		part, _ := countPartition(service, version, h)
		items, err := c.Store.Query(ctx, part, "", 0)
		if err != nil {
			return w, err
		}
		for _, it := range items {
			mm, rest, ok := strings.Cut(it.Key.Sort, "#")
			m, err := strconv.Atoi(mm)
			if !ok || err != nil {
				continue
			}
			at := h.Add(time.Duration(m) * time.Minute)
			if at.Before(from) || at.After(to) {
				continue
			}
			v, err := strconv.ParseInt(string(it.Value), 10, 64)
			if err != nil {
				continue
			}
			switch {
			case rest == "n":
				t, e := unpack(v)
				w.Requests += t
				w.Errors += e
			case strings.HasPrefix(rest, "l"):
				if i, err := strconv.Atoi(rest[1:]); err == nil && i >= 0 && i < len(w.Latency) {
					w.Latency[i] += v
				}
			case strings.HasPrefix(rest, "s#"):
				t, g := unpack(v)
				s := w.SLOs[rest[2:]]
				s[0] += g
				s[1] += t
				w.SLOs[rest[2:]] = s
			}
		}
	}
	return w, nil
}
