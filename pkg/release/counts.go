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
// no version, or why it was not. A batch is written in as few store
// transactions as fit: the events' markers and their adds summed per
// bucket, so an SQS batch of ten calls of one version is one transaction of
// ten markers and two or three adds.
func (c *Counter) Count(ctx context.Context, evs []slo.Event) []error {
	out := make([]error, len(evs))
	type unit struct {
		event  int
		marker store.Op
		adds   map[store.Key]int64
		expiry time.Time
	}
	var units []unit
	seen := map[store.Key]bool{}
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
		marker := store.Key{Partition: "release#seen#" + e.ID, Sort: src}
		if seen[marker] {
			continue // twice in one batch: counted once
		}
		seen[marker] = true
		u := unit{event: i, adds: map[store.Key]int64{}, expiry: e.Time.Add(CountRetention)}
		u.marker = store.Op{Kind: store.OpPut, Item: store.Item{Key: marker, Value: []byte{'1'}, ExpiresAt: u.expiry},
			Cond: store.Condition{IfAbsent: true}}
		part, minute := countPartition(e.Service, e.Version, e.Time)
		bad := int64(0)
		if e.Status == "error" {
			bad = 1
		}
		u.adds[store.Key{Partition: part, Sort: minute + "#n"}] += pack(1, bad)
		u.adds[store.Key{Partition: part, Sort: minute + "#l" + strconv.Itoa(latencyBucket(e.DurationMs))}]++
		for j := range c.SLOs {
			// More SLOs than a transaction holds: the rest are not counted
			// per version.
			if len(u.adds) >= store.MaxTransactOps-1 {
				break
			}
			counted, good := c.SLOs[j].Classify(e)
			if !counted {
				continue
			}
			g := int64(0)
			if good {
				g = 1
			}
			u.adds[store.Key{Partition: part, Sort: minute + "#s#" + c.SLOs[j].Name}] += pack(1, g)
		}
		units = append(units, u)
	}
	for len(units) > 0 {
		// Take units while their markers and distinct buckets fit.
		sums := map[store.Key]int64{}
		expiry := map[store.Key]time.Time{}
		n := 0
		for ; n < len(units); n++ {
			added := 0
			for k := range units[n].adds {
				if _, ok := sums[k]; !ok {
					added++
				}
			}
			if n > 0 && n+1+len(sums)+added > store.MaxTransactOps {
				break
			}
			for k, d := range units[n].adds {
				sums[k] += d
				if units[n].expiry.After(expiry[k]) {
					expiry[k] = units[n].expiry
				}
			}
		}
		group := units[:n]
		units = units[n:]
		for len(group) > 0 {
			ops := make([]store.Op, 0, len(group)+len(sums))
			for _, u := range group {
				ops = append(ops, u.marker)
			}
			keys := make([]store.Key, 0, len(sums))
			for k := range sums {
				keys = append(keys, k)
			}
			sort.Slice(keys, func(a, b int) bool {
				if keys[a].Partition != keys[b].Partition {
					return keys[a].Partition < keys[b].Partition
				}
				return keys[a].Sort < keys[b].Sort
			})
			for _, k := range keys {
				ops = append(ops, store.Op{Kind: store.OpAdd, Item: store.Item{Key: k, ExpiresAt: expiry[k]}, Delta: sums[k]})
			}
			err := c.Store.Transact(ctx, ops)
			var tx *store.TxError
			if err == nil || !errors.As(err, &tx) {
				for _, u := range group {
					out[u.event] = err
				}
				break
			}
			// The failed conditions are markers of events counted by an
			// earlier delivery: write the others without them.
			gone := map[int]bool{}
			for _, f := range tx.Failed {
				gone[f] = true
			}
			var rest []unit
			sums = map[store.Key]int64{}
			for j, u := range group {
				if gone[j] {
					continue
				}
				rest = append(rest, u)
				for k, d := range u.adds {
					sums[k] += d
				}
			}
			group = rest
		}
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
