package streams

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// Record is one archived event.
type Record struct {
	// Stream is the stream it was archived in.
	Stream string `json:"stream"`
	// ArchivedAt is when the bus accepted the event; ranges and order are
	// by it.
	ArchivedAt time.Time `json:"archivedAt"`
	// Seq orders records archived at the same instant (publish order).
	Seq uint64 `json:"seq"`
	// Event is the event as published.
	Event cloudevents.Event `json:"event"`
}

// Key is the record's store key: partition per stream and UTC day, sort by
// time and sequence (fixed width, so the store's order is publish order).
func (r Record) Key() store.Key {
	return store.Key{Partition: dayPartition(r.Stream, r.ArchivedAt), Sort: sortKey(r.ArchivedAt, r.Seq)}
}

// PartitionPrefix starts the store partitions of the archive.
const PartitionPrefix = "streams.archive#"

func dayPartition(stream string, t time.Time) string {
	return PartitionPrefix + stream + "#" + t.UTC().Format("20060102")
}

func sortKey(t time.Time, seq uint64) string {
	var b [33]byte
	pad(b[:20], uint64(t.UnixNano()))
	b[20] = '-'
	pad(b[21:], seq)
	return string(b[:])
}

// pad writes v in decimal into all of b, zero-padded (fixed width keeps the
// store's order numeric).
func pad(b []byte, v uint64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
}

// Archive reads and writes archived events in a store. The zero value is
// not usable; use NewArchive.
type Archive struct {
	st      store.Store
	streams Config
	now     func() time.Time
}

// NewArchive returns an archive of streams in st; now is the clock (nil
// means time.Now) that bounds open-ended queries.
func NewArchive(st store.Store, streams Config, now func() time.Time) (*Archive, error) {
	if st == nil {
		return nil, errors.New("streams: NewArchive: store is required")
	}
	if err := streams.Validate(); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Archive{st: st, streams: streams, now: now}, nil
}

// Streams is the archive's configuration.
func (a *Archive) Streams() Config { return a.streams }

// Write stores records, at most store.MaxTransactOps per transaction; each
// expires after its stream's retention. Writing a record twice (a retry)
// stores it once: its key is fixed by its time and sequence.
func (a *Archive) Write(ctx context.Context, recs []Record) error {
	enc := make([]encoded, len(recs))
	for i, r := range recs {
		// The value is the event alone: stream, time and sequence are in
		// the key.
		raw, err := r.Event.MarshalJSON()
		if err != nil {
			return fmt.Errorf("streams: encode event %s: %w", r.Event.ID(), err)
		}
		enc[i] = encoded{stream: r.Stream, at: r.ArchivedAt, seq: r.Seq, id: r.Event.ID(), raw: raw}
	}
	return a.writeEncoded(ctx, enc)
}

// encoded is a record with its event in structured JSON.
type encoded struct {
	stream string
	at     time.Time
	seq    uint64
	id     string
	raw    []byte
}

// writeEncoded writes recs in transactions of at most store.MaxTransactOps,
// run concurrently, so a store with group commit (bolt) commits them
// together, with one sync.
func (a *Archive) writeEncoded(ctx context.Context, recs []encoded) error {
	var chunks [][]store.Op
	for len(recs) > 0 {
		n := min(len(recs), store.MaxTransactOps)
		ops := make([]store.Op, 0, n)
		for _, r := range recs[:n] {
			s, ok := a.streams.Stream(r.stream)
			if !ok {
				return fmt.Errorf("%w %q", ErrUnknownStream, r.stream)
			}
			key := store.Key{Partition: dayPartition(r.stream, r.at), Sort: sortKey(r.at, r.seq)}
			ops = append(ops, store.Op{Kind: store.OpPut, Item: store.Item{Key: key, Value: r.raw, ExpiresAt: r.at.Add(s.Retention)}})
		}
		chunks = append(chunks, ops)
		recs = recs[n:]
	}
	if len(chunks) == 1 {
		if err := a.st.Transact(ctx, chunks[0]); err != nil {
			return fmt.Errorf("streams: archive %d events: %w", len(chunks[0]), err)
		}
		return nil
	}
	errs := make([]error, len(chunks))
	var wg sync.WaitGroup
	for i, ops := range chunks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.st.Transact(ctx, ops); err != nil {
				errs[i] = fmt.Errorf("streams: archive %d events: %w", len(ops), err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Errors of bad input, for the CLI's exit code 2.
var (
	ErrUnknownStream = errors.New("streams: unknown stream")
	ErrInvertedRange = errors.New("streams: inverted time range")
)

// Filter selects archived events. Zero fields select everything.
type Filter struct {
	// Streams to read; empty means the stream each of Types is archived in,
	// or every stream when Types is empty too.
	Streams []string
	// Types, exact event types.
	Types []string
	// Subject, the CloudEvents subject.
	Subject string
	// CorrelationID, the correlationid extension.
	CorrelationID string
	// From (inclusive) and To (exclusive) bound the archive time; zero From
	// means the oldest the streams keep, zero To means now.
	From, To time.Time
}

// Validate reports bad input: unknown streams, an inverted range.
func (a *Archive) Validate(f Filter) error {
	var errs []error
	for _, s := range f.Streams {
		if _, ok := a.streams.Stream(s); !ok {
			errs = append(errs, fmt.Errorf("%w %q (streams: %s)", ErrUnknownStream, s, strings.Join(a.streams.Names(), ", ")))
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		errs = append(errs, fmt.Errorf("%w: --from %s is not before --to %s", ErrInvertedRange, f.From.Format(time.RFC3339Nano), f.To.Format(time.RFC3339Nano)))
	}
	return errors.Join(errs...)
}

// Corrupt is an archived record that could not be decoded.
type Corrupt struct {
	Key   store.Key `json:"key"`
	Error string    `json:"error"`
}

// Result is what a query read.
type Result struct {
	Records []Record
	// Corrupt are the records skipped because they could not be decoded.
	Corrupt []Corrupt
}

// Query returns the records f selects, oldest first (archive time, then
// publish order, across streams). Corrupt records are skipped and listed in
// the result; only store failures and bad filters are errors.
func (a *Archive) Query(ctx context.Context, f Filter) (Result, error) {
	if err := a.Validate(f); err != nil {
		return Result{}, err
	}
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
	now := a.now()
	to := f.To
	if to.IsZero() {
		to = now.Add(time.Nanosecond)
	}
	var res Result
	for _, name := range names {
		s, _ := a.streams.Stream(name)
		from := f.From
		if oldest := now.Add(-s.Retention); from.Before(oldest) {
			from = oldest // older ones have expired
		}
		if !from.Before(to) {
			continue
		}
		for day := from.UTC().Truncate(24 * time.Hour); day.Before(to); day = day.Add(24 * time.Hour) {
			items, err := a.st.Query(ctx, dayPartition(name, day), "", 0)
			if err != nil {
				return Result{}, fmt.Errorf("streams: read %s on %s: %w", name, day.Format(time.DateOnly), err)
			}
			lo, hi := sortKey(f.From, 0), sortKey(to, 0)
			for _, it := range items {
				if (!f.From.IsZero() && it.Key.Sort < lo) || it.Key.Sort >= hi {
					continue
				}
				r, err := decodeRecord(name, it)
				if err != nil {
					res.Corrupt = append(res.Corrupt, Corrupt{Key: it.Key, Error: err.Error()})
					continue
				}
				if err := r.Event.Validate(); err != nil {
					res.Corrupt = append(res.Corrupt, Corrupt{Key: it.Key, Error: err.Error()})
					continue
				}
				if f.match(r.Event) {
					res.Records = append(res.Records, r)
				}
			}
		}
	}
	if len(names) > 1 {
		sort.SliceStable(res.Records, func(i, j int) bool {
			a, b := res.Records[i], res.Records[j]
			if !a.ArchivedAt.Equal(b.ArchivedAt) {
				return a.ArchivedAt.Before(b.ArchivedAt)
			}
			return a.Seq < b.Seq
		})
	}
	return res, nil
}

// decodeRecord reads an archived item: the event is the value, the time
// and sequence are the sort key.
func decodeRecord(stream string, it store.Item) (Record, error) {
	ns, seq, ok := strings.Cut(it.Key.Sort, "-")
	n, err1 := strconv.ParseInt(ns, 10, 64)
	q, err2 := strconv.ParseUint(seq, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return Record{}, fmt.Errorf("streams: sort key %q is not <unix nanoseconds>-<sequence>", it.Key.Sort)
	}
	r := Record{Stream: stream, ArchivedAt: time.Unix(0, n).UTC(), Seq: q}
	// The event decodes itself (UnmarshalJSON): through json.Unmarshal it
	// would be scanned twice more first, a third of a rebuild's reading.
	if err := r.Event.UnmarshalJSON(it.Value); err != nil {
		return Record{}, err
	}
	return r, nil
}

func (f Filter) match(e cloudevents.Event) bool {
	if len(f.Types) > 0 && !contains(f.Types, e.Type()) {
		return false
	}
	if f.Subject != "" && e.Subject() != f.Subject {
		return false
	}
	if f.CorrelationID != "" {
		c, _ := e.Extensions()["correlationid"].(string)
		if c != f.CorrelationID {
			return false
		}
	}
	return true
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// ParseTime parses a --from/--to value: RFC 3339, a date (UTC midnight),
// or a duration before now ("2h" means two hours ago).
func ParseTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if d, err := strconv.Atoi(n); err == nil && d >= 0 {
			return now.Add(-time.Duration(d) * 24 * time.Hour), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2026-01-02T15:04:05Z), a date (2026-01-02) or an age (2h, 3d)", s)
}
