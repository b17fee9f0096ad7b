package streams

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// ScanOptions tunes Archive.Scan.
type ScanOptions struct {
	// Batch is the most records a scan reads at once from one stream's
	// day (so one call of fn gets at most Batch per stream selected, twice
	// that across midnight, or more only when that many share one
	// nanosecond). Zero means 2048.
	Batch int
}

// ScanReport says what a scan read.
type ScanReport struct {
	// Records is how many records were passed to fn.
	Records int `json:"records"`
	// Corrupt are the records skipped because they could not be decoded.
	Corrupt []Corrupt `json:"corrupt,omitempty"`
}

// Scan calls fn with the records f selects, oldest first (archive time,
// then publish order, across streams), a batch at a time, until the end or
// fn returns false or an error. Unlike Query it streams: it holds about
// one batch per stream in memory, whatever the archive's size, so it is
// what rebuilds of read models from the archive read. Corrupt records are
// skipped and listed in the report, as Query does.
//
// The store can only list a partition (one stream's day) by a prefix of
// its sort keys, which start with the archive time in fixed-width
// nanoseconds, so the scan walks time in buckets named by a prefix of
// those digits: it narrows the bucket (one more digit, a tenth of the
// time) when a bucket holds more than a batch and widens it again when
// buckets come back nearly empty, so dense and sparse archives both take
// few reads.
//
// Reading and decoding run in a goroutine of their own, a batch ahead of
// fn, so decoding the next batch overlaps what fn does with this one.
func (a *Archive) Scan(ctx context.Context, f Filter, o ScanOptions, fn func([]Record) (bool, error)) (ScanReport, error) {
	if err := a.Validate(f); err != nil {
		return ScanReport{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []Record, 1)
	type result struct {
		rep ScanReport
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer close(batches)
		rep, err := a.scan(ctx, f, o, func(recs []Record) bool {
			select {
			case batches <- recs:
				return true
			case <-ctx.Done():
				return false
			}
		})
		done <- result{rep, err}
	}()
	var records int
	var ferr error
	stopped := false
	for recs := range batches {
		if stopped {
			continue // drain: the reader stops at its next batch
		}
		records += len(recs)
		more, err := fn(recs)
		if err != nil || !more {
			ferr, stopped = err, true
			cancel()
		}
	}
	res := <-done
	res.rep.Records = records
	if stopped {
		return res.rep, ferr
	}
	return res.rep, res.err
}

// scan reads the records f selects in order and passes them to emit, a
// batch at a time, until the end or emit returns false.
func (a *Archive) scan(ctx context.Context, f Filter, o ScanOptions, emit func([]Record) bool) (ScanReport, error) {
	var rep ScanReport
	batch := o.Batch
	if batch <= 0 {
		batch = 2048
	}
	names := a.selected(f)
	now := a.now()
	to := f.To
	if to.IsZero() {
		to = now.Add(time.Nanosecond)
	}
	type span struct {
		name     string
		from, to int64 // [from, to) in unix nanoseconds
	}
	var spans []span
	var lo int64 = -1
	for _, name := range names {
		s, _ := a.streams.Stream(name)
		from := f.From
		if oldest := now.Add(-s.Retention); from.Before(oldest) {
			from = oldest // older ones have expired
		}
		if !from.Before(to) {
			continue
		}
		sp := span{name: name, from: max(from.UnixNano(), 0), to: to.UnixNano()}
		spans = append(spans, sp)
		if lo < 0 || sp.from < lo {
			lo = sp.from
		}
	}
	if len(spans) == 0 {
		return rep, nil
	}
	hi := to.UnixNano()
	const minLevel, maxLevel = 6, 20
	level := 8
	t := align(lo, level)
	var recs []Record
	for t < hi {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		w := width(level)
		end := min(t+w, hi)
		prefix := sortKey(time.Unix(0, t), 0)[:level]
		var items []store.Item
		var names []string
		over := false
		for _, sp := range spans {
			if sp.from >= end || sp.to <= t {
				continue
			}
			first := time.Unix(0, max(t, sp.from)).UTC().Truncate(24 * time.Hour)
			for day := first; day.UnixNano() < min(end, sp.to); day = day.Add(24 * time.Hour) {
				limit := batch + 1
				if level == maxLevel {
					limit = 0 // one nanosecond: take what there is
				}
				got, err := a.st.Query(ctx, dayPartition(sp.name, day), prefix, limit)
				if err != nil {
					return rep, fmt.Errorf("streams: read %s on %s: %w", sp.name, day.Format(time.DateOnly), err)
				}
				if limit > 0 && len(got) > batch {
					over = true
					break
				}
				lo, hi := sortKey(time.Unix(0, max(t, sp.from)), 0), sortKey(time.Unix(0, min(end, sp.to)), 0)
				for _, it := range got {
					if it.Key.Sort >= lo && it.Key.Sort < hi {
						items = append(items, it)
						names = append(names, sp.name)
					}
				}
			}
			if over {
				break
			}
		}
		if over {
			level++ // too many for one batch: a tenth of the time
			continue
		}
		recs = recs[:0]
		for i, it := range items {
			r, err := decodeRecord(names[i], it)
			if err == nil {
				err = r.Event.Validate()
			}
			if err != nil {
				rep.Corrupt = append(rep.Corrupt, Corrupt{Key: it.Key, Error: err.Error()})
				continue
			}
			if f.match(r.Event) {
				recs = append(recs, r)
			}
		}
		if len(spans) > 1 {
			slices.SortStableFunc(recs, func(a, b Record) int {
				if c := a.ArchivedAt.Compare(b.ArchivedAt); c != 0 {
					return c
				}
				switch {
				case a.Seq < b.Seq:
					return -1
				case a.Seq > b.Seq:
					return 1
				}
				return 0
			})
		}
		t = end
		if len(items)*8 <= batch && level > minLevel && t%width(level-1) == 0 {
			level-- // nearly empty: widen again
		}
		if len(recs) == 0 {
			continue
		}
		if !emit(slices.Clone(recs)) {
			return rep, nil
		}
	}
	return rep, nil
}

// selected names the streams a filter reads.
func (a *Archive) selected(f Filter) []string {
	names := f.Streams
	if len(names) == 0 && len(f.Types) > 0 {
		for _, t := range f.Types {
			if n := a.streams.StreamFor(t).Name; !contains(names, n) {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		names = a.streams.Names()
	}
	return names
}

// width is the time a sort-key prefix of level digits spans, in
// nanoseconds (the time takes 20 digits).
func width(level int) int64 {
	w := int64(1)
	for range 20 - level {
		w *= 10
	}
	return w
}

// align rounds t down to a multiple of width(level).
func align(t int64, level int) int64 { return t - t%width(level) }
