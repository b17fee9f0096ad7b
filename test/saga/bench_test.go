package saga_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/orders"
	"github.com/cogniforge/cogniforge/pkg/saga"
	"github.com/cogniforge/cogniforge/pkg/sfnlocal"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
)

// countBus counts what is published and drops it.
type countBus struct{ n atomic.Int64 }

func (b *countBus) Publish(_ context.Context, evs []cloudevents.Event) ([]error, error) {
	b.n.Add(int64(len(evs)))
	return make([]error, len(evs)), nil
}

// benchCatalog has n SKUs with stock for any benchmark.
func benchCatalog(n int) orders.Catalog {
	c := orders.Catalog{}
	for i := 0; i < n; i++ {
		c[fmt.Sprintf("bench-%d", i)] = orders.Product{Stock: 1 << 40, PriceCents: 100}
	}
	return c
}

// BenchmarkSagaThroughput runs complete four-step order sagas through the
// ASL engine and the real functions (in process, through the same faas
// invoker as Lambda) on bolt with group commit: every barrier and business
// write is fsynced before the step answers. Reports sagas/s.
func BenchmarkSagaThroughput(b *testing.B) {
	for _, c := range []struct {
		name        string
		skus        int
		concurrency int
		noSync      bool
	}{
		{"skus=1024/concurrency=64", 1024, 64, false},
		{"skus=1024/concurrency=256", 1024, 256, false},
		{"skus=1024/concurrency=1024", 1024, 1024, false},
		{"skus=8/concurrency=256", 8, 256, false},
		// Not durable: the CPU ceiling of engine + functions, for comparison.
		{"skus=1024/concurrency=256/nosync-baseline", 1024, 256, true},
	} {
		b.Run(c.name, func(b *testing.B) { benchSagas(b, c.skus, c.concurrency, c.noSync) })
	}
}

func benchSagas(b *testing.B, skus, concurrency int, noSync bool) {
	st, err := bolt.Open(bolt.Config{Dir: b.TempDir(), GroupCommit: true, NoSync: noSync})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	bus := &countBus{}
	svc, err := orders.New(orders.Config{Store: st, Catalog: benchCatalog(skus), Saga: saga.Config{Bus: bus}})
	if err != nil {
		b.Fatal(err)
	}
	var fns []faas.Function
	for _, name := range []string{orders.Inventory, orders.Payment, orders.Shipping, orders.Order} {
		fn, err := svc.Function(name)
		if err != nil {
			b.Fatal(err)
		}
		fns = append(fns, fn)
	}
	inv, err := sfnlocal.NewInvoker(sfnlocal.InvokerConfig{Functions: fns, Bus: bus,
		Options: []adapter.Option{adapter.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}})
	if err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile(definition)
	if err != nil {
		b.Fatal(err)
	}
	sm, err := asl.Compile(raw)
	if err != nil {
		b.Fatal(err)
	}
	var failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	fanOut(b.N, concurrency, func(i int) bool {
		id := fmt.Sprintf("bench-%d-%d", b.N, i)
		input := map[string]any{
			"orderId": id, "customerId": "c",
			"items":    []any{map[string]any{"sku": fmt.Sprintf("bench-%d", i%skus), "quantity": 1}},
			"payment":  map[string]any{"token": "tok_visa"},
			"shipping": map[string]any{"address": map[string]any{"country": "DE"}},
		}
		_, res, err := sm.Run(context.Background(), asl.ExecutionConfig{Name: id, Input: input, Invoker: inv, FunctionName: inv.FunctionName})
		if err != nil || res.Status != asl.StatusSucceeded {
			failed.Add(1)
		}
		return true
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d sagas did not succeed", n, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "sagas/s")
	b.ReportMetric(float64(bus.n.Load())/float64(b.N), "events/saga")
}

// BenchmarkStepOverhead measures one step through the barrier and the faas
// adapters with an action that does nothing, on bolt with group commit, so
// what is timed is the saga machinery: decoding the task payload, two
// durable barrier writes, the reply. Reports p50 and p99 per step.
func BenchmarkStepOverhead(b *testing.B) {
	for _, noSync := range []bool{false, true} {
		for _, concurrency := range []int{1, 16} {
			name := fmt.Sprintf("durable/concurrency=%d", concurrency)
			if noSync {
				// The machinery without the disk: what the barrier and the
				// adapters cost in CPU.
				name = fmt.Sprintf("nosync/concurrency=%d", concurrency)
			}
			b.Run(name, func(b *testing.B) {
				st, err := bolt.Open(bolt.Config{Dir: b.TempDir(), GroupCommit: true, NoSync: noSync})
				if err != nil {
					b.Fatal(err)
				}
				defer st.Close()
				benchOverhead(b, st, concurrency)
			})
		}
	}
}

func benchOverhead(b *testing.B, st store.Store, concurrency int) {
	type nothing struct{}
	fn, err := saga.NewFunction("noop", "", saga.Step[nothing, nothing]{
		Action:       func(context.Context, nothing) (nothing, error) { return nothing{}, nil },
		Compensation: func(context.Context, nothing) error { return nil },
	}, saga.Config{Store: st, Bus: &countBus{}})
	if err != nil {
		b.Fatal(err)
	}
	inv := lambda.NewInvoker(fn, adapter.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	payloads := make([][]byte, b.N)
	for i := range payloads {
		payloads[i], _ = json.Marshal(saga.Task{SagaID: fmt.Sprintf("o-%d-%d", b.N, i), Saga: "bench", Step: "noop", Phase: saga.PhaseForward,
			CorrelationID: "x", TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", Input: json.RawMessage(`{}`)})
	}
	lat := make([]time.Duration, b.N)
	b.ResetTimer()
	fanOut(b.N, concurrency, func(i int) bool {
		t0 := time.Now()
		if _, err := inv.Invoke(context.Background(), payloads[i]); err != nil {
			b.Error(err)
			return false
		}
		lat[i] = time.Since(t0)
		return true
	})
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// fanOut calls do(i) for every i in [0, n) from workers goroutines, each
// taking the next index as it finishes one; a worker stops early when do
// returns false.
func fanOut(n, workers int, do func(i int) bool) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || !do(i) {
					return
				}
			}
		})
	}
	wg.Wait()
}
