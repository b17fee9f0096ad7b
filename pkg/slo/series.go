package slo

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// series reads one SLO's buckets. The hour buckets are read whole (one
// query); the minutes of an hour are read only where a window starts or
// ends inside it (or for Timeslices, for every hour), and are cached per
// instance keyed by the hour bucket's value: minute and hour buckets are
// written in the same transaction, so an unchanged hour has unchanged
// minutes and is not read again.
type series struct {
	name string

	mu      sync.Mutex
	hours   *hourSeries // replaced whole by refresh, never changed
	minutes map[int64]minuteCache
}

// hourSeries is one read of the hour buckets: the hours that have one, in
// order, their packed counters and the running sums of those, so the sum
// over any run of whole hours is one subtraction (a 30-day window is 720
// hours, and every window of every SLO is summed at every evaluation).
type hourSeries struct {
	idx    []int64 // hour indexes, ascending
	vals   []int64 // packed counters, by position
	prefix []int64 // prefix[k] = vals[0] + ... + vals[k-1]
}

// search is the position of the first hour at or after h.
func (hs *hourSeries) search(h int64) int {
	lo, hi := 0, len(hs.idx)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if hs.idx[m] < h {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// get returns hour h's counter and whether it has a bucket.
func (hs *hourSeries) get(h int64) (int64, bool) {
	if k := hs.search(h); k < len(hs.idx) && hs.idx[k] == h {
		return hs.vals[k], true
	}
	return 0, false
}

// rangeSum is the packed sum of hours [a, b).
func (hs *hourSeries) rangeSum(a, b int64) int64 {
	if b <= a {
		return 0
	}
	return hs.prefix[hs.search(b)] - hs.prefix[hs.search(a)]
}

type minuteCache struct {
	stamp int64
	vals  [60]int64
}

func newSeries(name string) *series {
	return &series{name: name, hours: &hourSeries{prefix: []int64{0}}, minutes: map[int64]minuteCache{}}
}

func (s *series) snapshot() *hourSeries {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hours
}

// refresh reads the hour buckets again.
func (s *series) refresh(ctx context.Context, st store.Store) error {
	items, err := st.Query(ctx, hourPartition(s.name), "", 0)
	if err != nil {
		return fmt.Errorf("slo %s: read hour buckets: %w", s.name, err)
	}
	hs := &hourSeries{idx: make([]int64, 0, len(items)), vals: make([]int64, 0, len(items))}
	sorted := true
	for _, it := range items {
		h, err1 := strconv.ParseInt(it.Key.Sort, 10, 64)
		v, err2 := strconv.ParseInt(string(it.Value), 10, 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("slo %s: hour bucket %q holds %q, not a counter", s.name, it.Key.Sort, it.Value)
		}
		if n := len(hs.idx); n > 0 && hs.idx[n-1] >= h {
			sorted = false
		}
		hs.idx = append(hs.idx, h)
		hs.vals = append(hs.vals, v)
	}
	if !sorted {
		// Sort keys order hours by number only from 0 up (ten digits); put
		// any others in order, the last of a repeated hour winning.
		hs.sortHours()
	}
	hs.prefix = make([]int64, len(hs.vals)+1)
	for k, v := range hs.vals {
		hs.prefix[k+1] = hs.prefix[k] + v
	}
	s.mu.Lock()
	s.hours = hs
	for h := range s.minutes {
		if _, ok := hs.get(h); !ok {
			delete(s.minutes, h)
		}
	}
	s.mu.Unlock()
	return nil
}

// sortHours orders hours that came out of order, keeping the last value
// of an hour read twice.
func (hs *hourSeries) sortHours() {
	pos := make([]int, len(hs.idx))
	for k := range pos {
		pos[k] = k
	}
	slices.SortStableFunc(pos, func(a, b int) int { return cmp.Compare(hs.idx[a], hs.idx[b]) })
	idx, vals := make([]int64, 0, len(pos)), make([]int64, 0, len(pos))
	for _, k := range pos {
		if n := len(idx); n > 0 && idx[n-1] == hs.idx[k] {
			vals[n-1] = hs.vals[k]
			continue
		}
		idx, vals = append(idx, hs.idx[k]), append(vals, hs.vals[k])
	}
	hs.idx, hs.vals = idx, vals
}

// minutesOf returns the 60 minute buckets of hour h.
func (s *series) minutesOf(ctx context.Context, st store.Store, h int64) (*[60]int64, error) {
	s.mu.Lock()
	stamp, ok := s.hours.get(h)
	c, cached := s.minutes[h]
	s.mu.Unlock()
	var zero [60]int64
	if !ok {
		return &zero, nil
	}
	if cached && c.stamp == stamp {
		return &c.vals, nil
	}
	items, err := st.Query(ctx, minutePartition(s.name, h), "", 0)
	if err != nil {
		return nil, fmt.Errorf("slo %s: read minute buckets of hour %d: %w", s.name, h, err)
	}
	c = minuteCache{stamp: stamp}
	for _, it := range items {
		m, err1 := strconv.Atoi(it.Key.Sort)
		v, err2 := strconv.ParseInt(string(it.Value), 10, 64)
		if err1 != nil || err2 != nil || m < 0 || m >= 60 {
			return nil, fmt.Errorf("slo %s: minute bucket %d/%q holds %q, not a counter", s.name, h, it.Key.Sort, it.Value)
		}
		c.vals[m] = v
	}
	s.mu.Lock()
	s.minutes[h] = c
	s.mu.Unlock()
	return &c.vals, nil
}

// dataStart is the start of the first minute with events still in the
// store; ok false when there is none.
func (s *series) dataStart(ctx context.Context, st store.Store) (time.Time, bool, error) {
	hs := s.snapshot()
	if len(hs.idx) == 0 {
		return time.Time{}, false, nil
	}
	first := hs.idx[0]
	mins, err := s.minutesOf(ctx, st, first)
	if err != nil {
		return time.Time{}, false, err
	}
	for m, v := range mins {
		if v != 0 {
			return time.Unix(first*3600+int64(m)*60, 0), true, nil
		}
	}
	return time.Unix(first*3600, 0), true, nil
}

// minuteSpan is the minutes whose buckets count for [from, to): those that
// start at or after from and before to.
func minuteSpan(from, to time.Time) (first, end int64) {
	ceil := func(t time.Time) int64 {
		ns := t.UnixNano()
		m := floorDiv(ns, int64(time.Minute))
		if m*int64(time.Minute) < ns {
			m++
		}
		return m
	}
	return ceil(from), ceil(to)
}

// sum returns total and good over [from, to): the whole hours in it from
// the running sums, the minutes of the partial hours at its ends from their
// minute buckets.
func (s *series) sum(ctx context.Context, st store.Store, from, to time.Time) (total, good int64, err error) {
	first, end := minuteSpan(from, to)
	if end <= first {
		return 0, 0, nil
	}
	hs := s.snapshot()
	// Whole hours: those starting at or after first and ending by end.
	packed := hs.rangeSum(floorDiv(first+59, 60), floorDiv(end, 60))
	// Partial hours: at most the first and the last.
	edges, n := [2]int64{floorDiv(first, 60), floorDiv(end-1, 60)}, 2
	if edges[0] == edges[1] {
		n = 1
	}
	for _, h := range edges[:n] {
		hs0, he := h*60, h*60+60
		if hs0 >= first && he <= end {
			continue // whole: summed above
		}
		if _, any := hs.get(h); !any {
			continue
		}
		mins, err := s.minutesOf(ctx, st, h)
		if err != nil {
			return 0, 0, err
		}
		for m := max(first, hs0); m < min(end, he); m++ {
			packed += mins[m-hs0]
		}
	}
	total, good = unpack(packed)
	return total, good, nil
}

// slices counts the time slices of length slice (minutes dividing an hour)
// that start in [from, to) and saw events: how many, and how many were bad
// (their good ratio under target).
func (s *series) slices(ctx context.Context, st store.Store, from, to time.Time, slice int64, target float64) (n, bad, events int64, err error) {
	first, end := minuteSpan(from, to)
	// Slices are aligned to the epoch; one starting before from is left out.
	first = (first + slice - 1) / slice * slice
	hs := s.snapshot()
	for start := first; start < end; start += slice {
		h := floorDiv(start, 60)
		if _, any := hs.get(h); !any {
			start = (h+1)*60 - slice // skip the empty hour
			continue
		}
		mins, err := s.minutesOf(ctx, st, h)
		if err != nil {
			return 0, 0, 0, err
		}
		var packed int64
		for m := start; m < min(start+slice, end); m++ {
			packed += mins[m-h*60]
		}
		t, g := unpack(packed)
		if t == 0 {
			continue
		}
		n++
		events += t
		if float64(g)/float64(t) < target {
			bad++
		}
	}
	return n, bad, events, nil
}
