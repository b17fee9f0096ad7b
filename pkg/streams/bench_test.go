package streams_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
	"github.com/cogniforge/cogniforge/pkg/gateway"
	"github.com/cogniforge/cogniforge/pkg/localruntime"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/streams"
)

// embeddedBus is the local runtime's bus over st with one subscriber whose
// handler does nothing: each publish stores the event in its queue, which
// the runtime delivers and acknowledges, as under `cogniforge run`.
func embeddedBus(b *testing.B, st store.Store) *localruntime.Runtime {
	fn := faas.Function{Name: "sub", Consumes: []string{"dev.cogniforge.request.completed.v1"},
		Triggers: []faas.Trigger{{Kind: faas.TriggerQueue}},
		Handler:  func(context.Context, cloudevents.Event) (*cloudevents.Event, error) { return nil, nil }}
	rt, err := localruntime.New(localruntime.Config{Functions: []faas.Function{fn}, Store: st,
		HTTPHandler: func(faas.Function) http.Handler { return http.NotFoundHandler() },
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = rt.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	return rt
}

var benchSeq atomic.Int64

// drained waits until rt has delivered everything queued, so one side's
// deliveries do not run during the other side's block.
func drained(b *testing.B, rt *localruntime.Runtime) {
	for {
		st, err := rt.Stats(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if st[0].Pending == 0 && st[0].InFlight == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// publishBlock publishes n events, one per call, from workers goroutines
// (concurrent requests at the gateway), and returns how long it took.
func publishBlock(b *testing.B, p interface {
	Publish(context.Context, []cloudevents.Event) ([]error, error)
}, n, workers int) time.Duration {
	var wg sync.WaitGroup
	start := time.Now()
	per := n / workers
	for w := range workers {
		cnt := per
		if w == workers-1 {
			cnt = n - per*(workers-1)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range cnt {
				e := cloudevents.NewEvent()
				e.SetID(fmt.Sprintf("bench-%d", benchSeq.Add(1)))
				e.SetSource("//bench")
				e.SetType("dev.cogniforge.request.completed.v1")
				e.SetTime(time.Now())
				_ = e.SetData(cloudevents.ApplicationJSON, map[string]any{"service": "checkout", "operation": "POST /orders", "status": "ok", "durationMs": 42})
				if res, err := p.Publish(context.Background(), []cloudevents.Event{e}); err != nil || res[0] != nil {
					b.Error(err, res)
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// BenchmarkArchiveOverheadPaired publishes through the embedded bus with
// and without the archiving decorator, alternating blocks of events in one
// run so both sides see the same machine load. Reported per event:
// plain-ns and archived-ns (the publish path: what a publisher waits) and
// overhead-% between them. plain-cpu and archived-cpu are the
// process's CPU time per event for each side's blocks, deliveries and (for
// the archived side) the archive's writes included, and cpu-overhead-% their
// ratio: what the archive costs when the CPU is the limit, which wall times
// on a shared machine do not show.
func BenchmarkArchiveOverheadPaired(b *testing.B) {
	for _, backend := range []string{"bolt", "memory"} {
		b.Run(backend, func(b *testing.B) {
			open := func() store.Store {
				if backend == "memory" {
					return memory.New(memory.Config{})
				}
				s, err := bolt.Open(bolt.Config{Dir: b.TempDir(), GroupCommit: true})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { s.Close() })
				return s
			}
			plain := embeddedBus(b, open())
			archivedBus := embeddedBus(b, open())
			// The archive has its own store, as under `cogniforge run`.
			arch, _ := streams.NewArchive(open(), streams.DefaultConfig(), nil)
			archiver, err := streams.NewArchiver(streams.ArchiverConfig{Next: archivedBus, Archive: arch})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { archiver.Run(ctx); close(done) }()
			defer func() { cancel(); <-done }()

			const workers = 8
			block := 2000
			if backend == "bolt" {
				block = 400
			}
			var plainT, archT, plainCPU, archCPU time.Duration
			var events int
			runPlain := func(n int) {
				cpu := processCPU()
				plainT += publishBlock(b, plain, n, workers)
				drained(b, plain)
				plainCPU += processCPU() - cpu
			}
			runArchived := func(n int) {
				cpu := processCPU()
				archT += publishBlock(b, archiver, n, workers)
				if err := archiver.Flush(context.Background()); err != nil {
					b.Fatal(err)
				}
				drained(b, archivedBus)
				archCPU += processCPU() - cpu
			}
			b.ResetTimer()
			for i := 0; events < b.N; i++ {
				n := min(block, b.N-events)
				if i%2 == 0 { // alternate which side goes first
					runPlain(n)
					runArchived(n)
				} else {
					runArchived(n)
					runPlain(n)
				}
				events += n
			}
			b.StopTimer()
			if s := archiver.Stats(); s.WriteFailed+s.Overflow > 0 {
				b.Fatalf("archive lost events: %+v", s)
			}
			per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(events) }
			b.ReportMetric(per(plainT), "plain-ns/event")
			b.ReportMetric(per(archT), "archived-ns/event")
			b.ReportMetric(100*(per(archT)/per(plainT)-1), "overhead-%")
			b.ReportMetric(per(plainCPU), "plain-cpu-ns/event")
			b.ReportMetric(per(archCPU), "archived-cpu-ns/event")
			b.ReportMetric(100*(per(archCPU)/per(plainCPU)-1), "cpu-overhead-%")
		})
	}
}

type nopBus struct{}

func (nopBus) Publish(_ context.Context, evs []cloudevents.Event) ([]error, error) {
	return make([]error, len(evs)), nil
}

// BenchmarkArchiverCost is the archive's own cost per event, without a
// bus (cpu-ns/op is the process's CPU time, which a shared machine's wait
// for a core does not inflate; the write side's includes building the test
// events): "path" is what Publish adds for the publisher (encoding the event,
// choosing its stream, queueing it), "write" the background write of a
// batch into the store, per event. Set beside the bus's own cost per
// event (GatewayServe in pkg/localruntime), they bound the archive's
// share of a CPU-bound publish path.
func BenchmarkArchiverCost(b *testing.B) {
	ev := func(i int) cloudevents.Event {
		e := cloudevents.NewEvent()
		e.SetID(fmt.Sprintf("bench-%d", i))
		e.SetSource("//bench")
		e.SetType("dev.cogniforge.request.completed.v1")
		e.SetTime(time.Now())
		e.SetExtension("correlationid", "c-1")
		_ = e.SetData(cloudevents.ApplicationJSON, map[string]any{"service": "checkout", "operation": "POST /orders", "status": "ok", "durationMs": 42})
		return e
	}
	b.Run("path", func(b *testing.B) {
		// The writer runs, into a store that keeps nothing, so the
		// buffer's memory is reused as in a steady state.
		arch, _ := streams.NewArchive(discard{memory.New(memory.Config{})}, streams.DefaultConfig(), nil)
		a, _ := streams.NewArchiver(streams.ArchiverConfig{Next: nopBus{}, Archive: arch})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { a.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()
		evs := make([][]cloudevents.Event, 1000)
		for i := range evs {
			evs[i] = []cloudevents.Event{ev(i)}
		}
		b.ReportAllocs()
		b.ResetTimer()
		cpu := processCPU()
		for i := range b.N {
			_, _ = a.Publish(context.Background(), evs[i%len(evs)])
		}
		_ = a.Flush(context.Background())
		b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
		b.StopTimer()
		if s := a.Stats(); s.Overflow > 0 {
			b.Fatalf("%+v", s)
		}
	})
	for _, backend := range []string{"memory", "bolt"} {
		b.Run("write/"+backend, func(b *testing.B) {
			var st store.Store = memory.New(memory.Config{})
			if backend == "bolt" {
				s, err := bolt.Open(bolt.Config{Dir: b.TempDir(), GroupCommit: true})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				st = s
			}
			arch, _ := streams.NewArchive(st, streams.DefaultConfig(), nil)
			recs := make([]streams.Record, 1000)
			now := time.Now()
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			defer func() { b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op") }()
			for i := 0; i < b.N; i += len(recs) {
				n := min(len(recs), b.N-i)
				for k := range n {
					recs[k] = streams.Record{Stream: "api", ArchivedAt: now, Seq: uint64(i + k), Event: ev(i + k)}
				}
				if err := arch.Write(context.Background(), recs[:n]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// discard is a store whose transactions keep nothing.
type discard struct{ store.Store }

func (discard) Transact(context.Context, []store.Op) error { return nil }

// BenchmarkGatewayArchivePaired is the publish path as producers see it:
// a CloudEvent posted to event-gateway (served in process: decoding,
// catalog validation, middleware, publish on the embedded bus over the
// memory store, the acknowledgement), one subscriber's queue delivering it,
// with and without the archive, alternating blocks of requests. cpu-ns is
// the process's CPU per request for each side (the archive's background
// writes and the deliveries included), cpu-overhead-% their ratio; ns the
// wall time per request on the request path.
func BenchmarkGatewayArchivePaired(b *testing.B) {
	catalog, err := events.NewCatalog()
	if err != nil {
		b.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	serve := func(p bus.Publisher) http.Handler {
		gw, err := gateway.New(gateway.Config{Publisher: p, Catalog: catalog, Acknowledge: true})
		if err != nil {
			b.Fatal(err)
		}
		return cehttp.NewHandler(gw, adapter.WithLogger(quiet), adapter.WithValidator(catalog))
	}
	plainBus := embeddedBus(b, memory.New(memory.Config{}))
	archivedBus := embeddedBus(b, memory.New(memory.Config{}))
	arch, _ := streams.NewArchive(memory.New(memory.Config{}), streams.DefaultConfig(), nil)
	archiver, err := streams.NewArchiver(streams.ArchiverConfig{Next: archivedBus, Archive: arch, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { archiver.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	plain, archived := serve(plainBus), serve(archiver)

	body := `{"specversion":"1.0","id":"g-%d","source":"//bench","type":"dev.cogniforge.request.completed.v1",` +
		`"datacontenttype":"application/json","data":{"service":"checkout","operation":"POST /orders","status":"ok","durationMs":12}}`
	seq := 0
	block := func(h http.Handler, n int) (wall, cpu time.Duration) {
		c0, t0 := processCPU(), time.Now()
		for range n {
			seq++
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(fmt.Sprintf(body, seq)))
			req.Header.Set("Content-Type", "application/cloudevents+json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
		return time.Since(t0), processCPU() - c0
	}
	var plainW, plainC, archW, archC time.Duration
	runPlain := func(n int) {
		c0 := processCPU()
		w, _ := block(plain, n)
		drained(b, plainBus)
		plainW, plainC = plainW+w, plainC+processCPU()-c0
	}
	runArchived := func(n int) {
		c0 := processCPU()
		w, _ := block(archived, n)
		if err := archiver.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
		drained(b, archivedBus)
		archW, archC = archW+w, archC+processCPU()-c0
	}
	b.ReportAllocs()
	b.ResetTimer()
	events := 0
	for i := 0; events < b.N; i++ {
		n := min(1000, b.N-events)
		if i%2 == 0 {
			runPlain(n)
			runArchived(n)
		} else {
			runArchived(n)
			runPlain(n)
		}
		events += n
	}
	b.StopTimer()
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(events) }
	b.ReportMetric(per(plainW), "plain-ns/req")
	b.ReportMetric(per(archW), "archived-ns/req")
	b.ReportMetric(per(plainC), "plain-cpu-ns/req")
	b.ReportMetric(per(archC), "archived-cpu-ns/req")
	b.ReportMetric(100*(per(archW)/per(plainW)-1), "overhead-%")
	b.ReportMetric(100*(per(archC)/per(plainC)-1), "cpu-overhead-%")
}
