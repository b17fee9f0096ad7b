package streams

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	ceevent "github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/cogniforge/cogniforge/pkg/bus"
)

// Clock is the archiver's time source; clock.Real and clock.Fake implement
// it.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// ArchiverConfig configures an Archiver.
type ArchiverConfig struct {
	// Next is the bus the events are published on. Required.
	Next bus.Publisher
	// Archive receives what Next accepted. Required.
	Archive *Archive
	// Clock defaults to the wall clock.
	Clock Clock
	// Logger defaults to slog.Default(); lost events are logged at error
	// level with their ids.
	Logger *slog.Logger
	// Meter records the counters (see the package doc); nil means no
	// metrics (a no-op meter).
	Meter metric.Meter
	// BufferSize bounds the events waiting to be archived. Zero means 8192.
	BufferSize int
	// OverflowWait is the longest a publish waits for room in a full
	// buffer before the event is counted as lost. Zero means 100ms;
	// negative means not at all.
	OverflowWait time.Duration
	// MaxAttempts is how many times a failed archive write is tried. Zero
	// means 6 (backoff 100ms, doubling: about 3 s in all).
	MaxAttempts int
	// RetryDelay is the first backoff between attempts. Zero means 100ms.
	RetryDelay time.Duration
	// BatchWait is how long the writer waits for more events after the
	// first of a batch, so a steady stream is written in few commits (each
	// a sync on a durable store). Zero means 50ms; negative means not at
	// all (write what is buffered at once). A crash loses what is
	// buffered, as it would without the wait.
	BatchWait time.Duration
	// MaxBatch bounds the events of one write (in transactions of at most
	// store.MaxTransactOps, committed together). Zero means 1000.
	MaxBatch int
}

// Validate reports every missing setting.
func (c ArchiverConfig) Validate() error {
	var errs []error
	if c.Next == nil {
		errs = append(errs, errors.New("streams: ArchiverConfig.Next is required"))
	}
	if c.Archive == nil {
		errs = append(errs, errors.New("streams: ArchiverConfig.Archive is required"))
	}
	if c.BufferSize < 0 || c.MaxAttempts < 0 || c.RetryDelay < 0 {
		errs = append(errs, errors.New("streams: ArchiverConfig.BufferSize, MaxAttempts and RetryDelay must not be negative"))
	}
	return errors.Join(errs...)
}

// Outcomes counted by the archiver (attribute "outcome" of
// MetricArchivedEvents).
const (
	OutcomeArchived    = "archived"
	OutcomeWriteFailed = "write_failed" // every attempt failed
	OutcomeOverflow    = "overflow"     // the buffer stayed full
)

// Metric names.
const (
	MetricArchivedEvents = "cogniforge.archive.events"
	MetricWriteRetries   = "cogniforge.archive.write.retries"
	MetricBufferWaits    = "cogniforge.archive.buffer.waits"
)

// Stats are the archiver's counts since it started.
type Stats struct {
	Archived    int64 `json:"archived"`
	WriteFailed int64 `json:"writeFailed"`
	Overflow    int64 `json:"overflow"`
	Retries     int64 `json:"retries"`
	BufferWaits int64 `json:"bufferWaits"`
}

// Archiver is a bus.Publisher that publishes on Next and archives every
// event Next accepted, in the background. Start it with Run; Close drains
// it.
type Archiver struct {
	cfg  ArchiverConfig
	next bus.Publisher
	arch *Archive
	ch   chan encoded
	seq  atomic.Uint64

	// sendMu is held (read) while sending on ch, (write) to close it.
	sendMu sync.RWMutex
	closed bool

	enqueued atomic.Int64 // events queued (and overflowed), on the hot path
	mu       sync.Mutex
	progress chan struct{} // closed and replaced whenever done grows
	done     int64

	archived, writeFailed, overflow, retries, waits atomic.Int64
	mEvents, mRetries, mWaits                       metric.Int64Counter
	stopped                                         chan struct{}
	streamByType                                    sync.Map // event type -> stream name
}

var _ bus.Publisher = (*Archiver)(nil)

// ReplayedExtension and ReplayIDExtension mark a replayed event.
const (
	ReplayedExtension = "replayed"
	ReplayIDExtension = "replayid"
)

// NewArchiver returns an archiver; call Run to start archiving.
func NewArchiver(cfg ArchiverConfig) (*Archiver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Meter == nil {
		cfg.Meter = noop.NewMeterProvider().Meter("")
	}
	if cfg.BufferSize == 0 {
		cfg.BufferSize = 8192
	}
	if cfg.OverflowWait == 0 {
		cfg.OverflowWait = 100 * time.Millisecond
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 6
	}
	if cfg.RetryDelay == 0 {
		cfg.RetryDelay = 100 * time.Millisecond
	}
	if cfg.BatchWait == 0 {
		cfg.BatchWait = 50 * time.Millisecond
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 1000
	}
	a := &Archiver{cfg: cfg, next: cfg.Next, arch: cfg.Archive, ch: make(chan encoded, cfg.BufferSize),
		progress: make(chan struct{}), stopped: make(chan struct{})}
	var err error
	if a.mEvents, err = cfg.Meter.Int64Counter(MetricArchivedEvents, metric.WithDescription("events the archiver handled, by outcome (archived, write_failed, overflow)")); err != nil {
		return nil, err
	}
	if a.mRetries, err = cfg.Meter.Int64Counter(MetricWriteRetries, metric.WithDescription("archive writes tried again after a failure")); err != nil {
		return nil, err
	}
	if a.mWaits, err = cfg.Meter.Int64Counter(MetricBufferWaits, metric.WithDescription("publishes that waited for room in the archive buffer")); err != nil {
		return nil, err
	}
	return a, nil
}

// streamOf is StreamFor's name, cached per type.
func (a *Archiver) streamOf(t string) string {
	if s, ok := a.streamByType.Load(t); ok {
		return s.(string)
	}
	s := a.arch.streams.StreamFor(t).Name
	a.streamByType.Store(t, s)
	return s
}

// Unwrap returns the decorated publisher.
func (a *Archiver) Unwrap() bus.Publisher { return a.next }

// Publish publishes on Next, then queues every accepted event for the
// archive. Its results are Next's: the archive never fails a publish.
func (a *Archiver) Publish(ctx context.Context, events []cloudevents.Event) ([]error, error) {
	results, err := a.next.Publish(ctx, events)
	if err != nil {
		return results, err
	}
	now := a.cfg.Clock.Now().UTC()
	for i := range events {
		if i < len(results) && results[i] != nil {
			continue
		}
		e := &events[i]
		if replayed(e) {
			continue // a replay is not history
		}
		// Encoded here, once: the caller may reuse the event after
		// Publish returns, and a copy would cost as much as the encoding.
		raw, err := encodeEvent(e)
		r := encoded{stream: a.streamOf(e.Type()), at: now, seq: a.seq.Add(1), id: e.ID(), raw: raw}
		if err != nil {
			a.lost(ctx, OutcomeWriteFailed, []encoded{r}, fmt.Errorf("encode: %w", err))
			continue
		}
		a.enqueue(ctx, r)
	}
	return results, nil
}

func (a *Archiver) enqueue(ctx context.Context, r encoded) {
	a.sendMu.RLock()
	defer a.sendMu.RUnlock()
	if a.closed {
		a.lost(ctx, OutcomeOverflow, []encoded{r}, errors.New("archiver closed"))
		return
	}
	a.enqueued.Add(1)
	select {
	case a.ch <- r:
		return
	default:
	}
	a.waits.Add(1)
	a.mWaits.Add(ctx, 1)
	if a.cfg.OverflowWait > 0 {
		select {
		case a.ch <- r:
			return
		case <-a.cfg.Clock.After(a.cfg.OverflowWait):
		case <-ctx.Done():
		}
	}
	a.lost(ctx, OutcomeOverflow, []encoded{r}, errors.New("archive buffer full"))
	a.finish(1)
}

// lost counts and logs records that will not be archived.
func (a *Archiver) lost(ctx context.Context, outcome string, recs []encoded, err error) {
	n := int64(len(recs))
	if outcome == OutcomeOverflow {
		a.overflow.Add(n)
	} else {
		a.writeFailed.Add(n)
	}
	a.mEvents.Add(context.WithoutCancel(ctx), n, metric.WithAttributes(attribute.String("outcome", outcome)))
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.id
	}
	a.cfg.Logger.Error("streams: events not archived", "outcome", outcome, "count", n, "ids", ids, "error", err)
}

func (a *Archiver) finish(n int64) {
	a.mu.Lock()
	a.done += n
	close(a.progress)
	a.progress = make(chan struct{})
	a.mu.Unlock()
}

// Run archives queued events until ctx ends or Close is called, then
// writes what is still buffered and returns.
func (a *Archiver) Run(ctx context.Context) {
	defer close(a.stopped)
	batch := make([]encoded, 0, a.cfg.MaxBatch)
	for {
		batch = batch[:0]
		select {
		case r, ok := <-a.ch:
			if !ok {
				return
			}
			batch = append(batch, r)
		case <-ctx.Done():
			a.drain(context.WithoutCancel(ctx))
			return
		}
		// Gather a batch: what is buffered, then what arrives within
		// BatchWait (wall time: it only spaces the writes out, so the
		// writer wakes and commits once per batch rather than per event).
		var linger <-chan time.Time
		var timer *time.Timer
		if a.cfg.BatchWait > 0 {
			timer = time.NewTimer(a.cfg.BatchWait)
			linger = timer.C
		}
	fill:
		for len(batch) < cap(batch) {
			select {
			case r, ok := <-a.ch:
				if !ok {
					break fill
				}
				batch = append(batch, r)
				continue
			default:
			}
			if linger == nil {
				break
			}
			select {
			case r, ok := <-a.ch:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			case <-linger:
				break fill
			case <-ctx.Done():
				break fill
			}
		}
		if timer != nil {
			timer.Stop()
		}
		a.write(ctx, batch)
	}
}

// drain writes what is buffered after ctx ended, one attempt each batch.
func (a *Archiver) drain(ctx context.Context) {
	for {
		batch := make([]encoded, 0, a.cfg.MaxBatch)
	fill:
		for len(batch) < cap(batch) {
			select {
			case r, ok := <-a.ch:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		if len(batch) == 0 {
			return
		}
		a.write(ctx, batch)
	}
}

// write stores batch, retrying with backoff; after MaxAttempts the events
// are counted and logged as lost.
func (a *Archiver) write(ctx context.Context, batch []encoded) {
	delay := a.cfg.RetryDelay
	var err error
	for attempt := 1; ; attempt++ {
		wctx := context.WithoutCancel(ctx)
		if err = a.arch.writeEncoded(wctx, batch); err == nil {
			a.archived.Add(int64(len(batch)))
			a.mEvents.Add(wctx, int64(len(batch)), metric.WithAttributes(attribute.String("outcome", OutcomeArchived)))
			break
		}
		if attempt >= a.cfg.MaxAttempts {
			a.lost(ctx, OutcomeWriteFailed, batch, err)
			break
		}
		a.retries.Add(1)
		a.mRetries.Add(wctx, 1)
		a.cfg.Logger.Warn("streams: archive write failed, will retry", "attempt", attempt, "events", len(batch), "retryIn", delay.String(), "error", err)
		<-a.cfg.Clock.After(delay)
		delay *= 2
	}
	a.finish(int64(len(batch)))
}

// Flush waits until every event queued before the call has been archived
// or counted as lost, or ctx ends.
func (a *Archiver) Flush(ctx context.Context) error {
	want := a.enqueued.Load()
	for {
		a.mu.Lock()
		done, ch := a.done, a.progress
		a.mu.Unlock()
		if done >= want {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close stops accepting events, waits for the buffer to be written (or ctx
// to end) and for Run to return.
func (a *Archiver) Close(ctx context.Context) error {
	a.sendMu.Lock()
	if a.closed {
		a.sendMu.Unlock()
		return nil
	}
	a.closed = true
	close(a.ch)
	a.sendMu.Unlock()
	select {
	case <-a.stopped:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats returns the counts so far.
func (a *Archiver) Stats() Stats {
	return Stats{Archived: a.archived.Load(), WriteFailed: a.writeFailed.Load(), Overflow: a.overflow.Load(),
		Retries: a.retries.Load(), BufferWaits: a.waits.Load()}
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// encodeBuffers are reused by encodeEvent: the structured encoding grows
// its buffer a few times per event otherwise, which was a fifth of the
// archive's cost on the publish path.
var encodeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// encodeEvent is e.MarshalJSON (the same bytes) through a pooled buffer.
func encodeEvent(e *cloudevents.Event) ([]byte, error) {
	buf := encodeBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	err := ceevent.WriteJson(e, buf)
	out := bytes.Clone(buf.Bytes())
	if buf.Cap() <= 64<<10 {
		encodeBuffers.Put(buf)
	}
	return out, err
}

// replayed reports whether e carries the replay marker, without copying
// its extensions (Event.Extensions returns a copy).
func replayed(e *cloudevents.Event) bool {
	if e.Context == nil {
		return false
	}
	v, err := e.Context.GetExtension(ReplayedExtension)
	if err != nil {
		return false
	}
	b, _ := v.(bool)
	return b
}
