package slo

import (
	"context"
	"fmt"
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
	name  string
	hours map[int64]int64 // hour index -> packed counter

	mu      sync.Mutex
	minutes map[int64]minuteCache
}

type minuteCache struct {
	stamp int64
	vals  [60]int64
}

func newSeries(name string) *series {
	return &series{name: name, minutes: map[int64]minuteCache{}}
}

// refresh reads the hour buckets again.
func (s *series) refresh(ctx context.Context, st store.Store) error {
	items, err := st.Query(ctx, hourPartition(s.name), "", 0)
	if err != nil {
		return fmt.Errorf("slo %s: read hour buckets: %w", s.name, err)
	}
	hours := make(map[int64]int64, len(items))
	for _, it := range items {
		h, err1 := strconv.ParseInt(it.Key.Sort, 10, 64)
		v, err2 := strconv.ParseInt(string(it.Value), 10, 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("slo %s: hour bucket %q holds %q, not a counter", s.name, it.Key.Sort, it.Value)
		}
		hours[h] = v
	}
	s.mu.Lock()
	s.hours = hours
	for h := range s.minutes {
		if _, ok := hours[h]; !ok {
			delete(s.minutes, h)
		}
	}
	s.mu.Unlock()
	return nil
}

// minutesOf returns the 60 minute buckets of hour h.
func (s *series) minutesOf(ctx context.Context, st store.Store, h int64) (*[60]int64, error) {
	s.mu.Lock()
	stamp, ok := s.hours[h]
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
	s.mu.Lock()
	first, ok := int64(0), false
	for h := range s.hours {
		if !ok || h < first {
			first, ok = h, true
		}
	}
	s.mu.Unlock()
	if !ok {
		return time.Time{}, false, nil
	}
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

// sum returns total and good over [from, to).
func (s *series) sum(ctx context.Context, st store.Store, from, to time.Time) (total, good int64, err error) {
	first, end := minuteSpan(from, to)
	if end <= first {
		return 0, 0, nil
	}
	var packed int64
	for h := floorDiv(first, 60); h*60 < end; h++ {
		hs, he := h*60, h*60+60
		if hs >= first && he <= end {
			s.mu.Lock()
			packed += s.hours[h]
			s.mu.Unlock()
			continue
		}
		s.mu.Lock()
		_, any := s.hours[h]
		s.mu.Unlock()
		if !any {
			continue
		}
		mins, err := s.minutesOf(ctx, st, h)
		if err != nil {
			return 0, 0, err
		}
		for m := max(first, hs); m < min(end, he); m++ {
			packed += mins[m-hs]
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
	for start := first; start < end; start += slice {
		h := floorDiv(start, 60)
		s.mu.Lock()
		_, any := s.hours[h]
		s.mu.Unlock()
		if !any {
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
