package slo

// The benchmarks of issue 10's performance targets (they run in `make
// bench`; the README's Performance table quotes their medians):
//
//   - BenchmarkAggregatorCount: decoded events to bucket increments, the
//     whole of Count except the store write (a store that accepts every
//     transaction and keeps nothing), against ten SLOs of mixed selectors.
//     Target: 1,000,000 events/s per core.
//   - BenchmarkAggregatorSQS: raw SQS batch bytes through the Lambda
//     adapter (decode, catalog validation, default middleware, batch
//     response) into the slo-aggregator function over a memory store, and
//     the store writes each batch of ten makes.
//   - BenchmarkEvaluate: one full evaluation of 1,000 SLOs whose buckets
//     hold 30 days. Target: under 1 s.

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	awsevents "github.com/aws/aws-lambda-go/events"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/faastest"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// benchNow is the benchmarks' clock: not on an hour or minute boundary, so
// windows start and end inside hours and the edge hours are read by minute.
var benchNow = time.Date(2026, 11, 30, 14, 37, 30, 0, time.UTC)

func mustCond(text string, class bool) Cond {
	c, err := ParseCond(text, class)
	if err != nil {
		panic(err)
	}
	return c
}

// benchSLOs are ten objectives selecting on every kind of field: service,
// operation, region, status, HTTP status class and value, duration.
func benchSLOs() []SLO {
	month := Window{Rolling: 30 * 24 * time.Hour}
	mk := func(name string, total, good Selector, hasGood bool) SLO {
		s := SLO{Name: name, Total: total, Target: 0.999, Window: month, Budgeting: Occurrences,
			Alerts: DefaultAlerts(), MinEvents: DefaultMinEvents}
		if hasGood {
			s.Good, s.HasGood = good, true
		} else {
			s.Bad, s.HasBad = good, true
		}
		return s
	}
	return []SLO{
		mk("checkout-availability", Selector{Service: "checkout"}, Selector{Service: "checkout", Status: "ok"}, true),
		mk("checkout-latency", Selector{Service: "checkout"}, Selector{Service: "checkout", DurationMs: mustCond("<300", false)}, true),
		mk("checkout-5xx", Selector{Service: "checkout", HTTPStatus: mustCond(">=100", true)}, Selector{HTTPStatus: mustCond("5xx", true)}, false),
		mk("payments-availability", Selector{Service: "payments"}, Selector{Status: "error"}, false),
		mk("payments-latency", Selector{Service: "payments", Status: "ok"}, Selector{DurationMs: mustCond("<=500", false)}, true),
		mk("search-latency", Selector{Service: "search"}, Selector{DurationMs: mustCond("<100", false)}, true),
		mk("orders-create", Selector{Service: "orders", Operation: "POST /orders"}, Selector{Status: "ok", HTTPStatus: mustCond("2xx", true)}, true),
		mk("edge-5xx", Selector{HTTPStatus: mustCond("!=0", true)}, Selector{HTTPStatus: mustCond("5xx", true)}, false),
		mk("eu-latency", Selector{Region: "eu-west-1"}, Selector{DurationMs: mustCond("<1000", false)}, true),
		mk("inventory-404", Selector{Service: "inventory"}, Selector{HTTPStatus: mustCond("==404", true)}, false),
	}
}

var (
	benchServices = []string{"checkout", "payments", "search", "orders", "inventory"}
	benchOps      = []string{"POST /orders", "GET /items", "POST /pay"}
	benchRegions  = []string{"eu-west-1", "us-east-1"}
	benchHTTP     = []int{200, 201, 404, 500, 503, 0}
)

// benchEvent is the i-th event of a varied stream, all within the last
// minutes before benchNow.
func benchEvent(i int) Event {
	status := "ok"
	if i%7 == 3 {
		status = "error"
	}
	return Event{Source: "/gateway", ID: "ev-" + strconv.Itoa(i),
		Time:    benchNow.Add(-time.Duration(i%180) * time.Second),
		Service: benchServices[i%len(benchServices)], Operation: benchOps[i%len(benchOps)],
		Region: benchRegions[i%len(benchRegions)], Status: status,
		HTTPStatus: benchHTTP[i%len(benchHTTP)], DurationMs: float64(i%13) * 47.5}
}

// discardStore accepts every transaction and keeps nothing: Count's cost
// without the write. It counts what it was given.
type discardStore struct {
	store.Store
	txs, ops int
}

func (d *discardStore) Transact(_ context.Context, ops []store.Op) error {
	d.txs++
	d.ops += len(ops)
	return nil
}

// BenchmarkAggregatorCount measures Count from decoded events to the
// transaction ops, for batches of 10 (an SQS batch) and 100.
func BenchmarkAggregatorCount(b *testing.B) {
	for _, size := range []int{10, 100} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			st := &discardStore{}
			a, err := NewAggregator(AggregatorConfig{Store: st, SLOs: benchSLOs(), Now: func() time.Time { return benchNow }})
			if err != nil {
				b.Fatal(err)
			}
			// Several batches in turn, so the events are not the same every time.
			batches := make([][]Event, 16)
			for k := range batches {
				for i := range size {
					batches[k] = append(batches[k], benchEvent(k*size+i))
				}
			}
			ctx := context.Background()
			var counted, selected int
			b.ReportAllocs()
			n := 0
			cpu0 := processCPU()
			for b.Loop() {
				rep, err := a.Count(ctx, batches[n%len(batches)])
				if err != nil || rep.Failed() > 0 {
					b.Fatalf("%v %+v", err, rep)
				}
				counted += rep.Counted
				selected += size - rep.Unselected
				n++
			}
			if counted != selected || counted == 0 {
				b.Fatalf("counted %d of %d selected events", counted, selected)
			}
			reportRates(b, n*size, processCPU()-cpu0)
			b.ReportMetric(float64(st.ops)/float64(st.txs), "ops/tx")
		})
	}
}

// reportRates reports events per second of wall time and per second of
// process CPU (the per-core rate: one goroutine runs the loop, and the
// garbage collector's CPU on other threads is counted against it).
func reportRates(b *testing.B, events int, cpu time.Duration) {
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	if cpu > 0 {
		b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
	}
}

// countingStore counts the transactions and ops a store is given.
type countingStore struct {
	store.Store
	txs, ops atomic.Int64
}

func (c *countingStore) Transact(ctx context.Context, ops []store.Op) error {
	c.txs.Add(1)
	c.ops.Add(int64(len(ops)))
	return c.Store.Transact(ctx, ops)
}

// idWidth is the width of the events' ids in the SQS payload, patched in
// place for every batch so each batch is new events (a batch delivered
// twice would take the redelivery path).
const idWidth = 12

// sqsBatchPayload is an SQS event of ten records whose bodies are
// structured request.completed CloudEvents (or, envelope true, the
// EventBridge events a bus rule targeting the queue delivers, each with
// such a CloudEvent as its detail), and the offsets of every id digit run.
func sqsBatchPayload(b *testing.B, envelope bool) ([]byte, []int) {
	b.Helper()
	var in awsevents.SQSEvent
	if err := json.Unmarshal(faastest.LambdaTestdata(b, "sqs-event.json"), &in); err != nil {
		b.Fatal(err)
	}
	tmpl := in.Records[0]
	in.Records = nil
	for i := range 10 {
		e := benchEvent(i)
		d := events.RequestCompleted{Service: e.Service, Operation: e.Operation, Status: e.Status, DurationMs: e.DurationMs,
			HTTPStatus: e.HTTPStatus, Region: e.Region, Timestamp: e.Time.Format(time.RFC3339Nano)}
		id := fmt.Sprintf("%c%0*d", 'A'+i, idWidth-1, 0)
		ev, err := events.New(context.Background(), EventType, "/gateway", d, events.ID(id), events.Time(e.Time))
		if err != nil {
			b.Fatal(err)
		}
		body, err := json.Marshal(ev)
		if err != nil {
			b.Fatal(err)
		}
		if envelope {
			body, err = json.Marshal(lambda.EventBridgeEvent{ID: "eb-" + strconv.Itoa(i), DetailType: EventType,
				Source: "cogniforge", Account: "123456789012", Time: e.Time.UTC().Format(time.RFC3339), Region: "eu-west-1",
				Resources: []string{}, Detail: body})
			if err != nil {
				b.Fatal(err)
			}
		}
		r := tmpl
		r.MessageId = fmt.Sprintf("m%d", i)
		r.Body = string(body)
		in.Records = append(in.Records, r)
	}
	payload, err := json.Marshal(in)
	if err != nil {
		b.Fatal(err)
	}
	var at []int
	for i := range 10 {
		id := fmt.Sprintf("%c%0*d", 'A'+i, idWidth-1, 0)
		for k := 0; k+len(id) <= len(payload); k++ {
			if string(payload[k:k+len(id)]) == id {
				at = append(at, k+1)
			}
		}
	}
	if len(at) < 10 {
		b.Fatalf("found %d ids in the payload", len(at))
	}
	return payload, at
}

// BenchmarkAggregatorSQS measures raw SQS batch bytes to counted events
// through the real Lambda path: lambda.NewHandler over the function
// NewAggregatorFunction builds, the catalog validating every event (as
// wiring sets it up; tracing off), a memory store under it.
func BenchmarkAggregatorSQS(b *testing.B) {
	catalog, err := events.NewCatalog()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		envelope bool
	}{{"body=cloudevent", false}, {"body=eventbridge", true}} {
		b.Run(c.name, func(b *testing.B) {
			payload, at := sqsBatchPayload(b, c.envelope)
			st := &countingStore{Store: memory.New(memory.Config{Now: func() time.Time { return benchNow }})}
			a, err := NewAggregator(AggregatorConfig{Store: st, SLOs: benchSLOs(), Now: func() time.Time { return benchNow }})
			if err != nil {
				b.Fatal(err)
			}
			h := lambda.NewHandler(NewAggregatorFunction(a, faastest.QuietLogger()),
				adapter.WithLogger(faastest.QuietLogger()), adapter.WithValidator(catalog))
			ctx := context.Background()
			want := `{"batchItemFailures":[]}`
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			n := 0
			cpu0 := processCPU()
			for b.Loop() {
				n++
				digits := strconv.Itoa(n)
				for _, k := range at {
					copy(payload[k+idWidth-1-len(digits):k+idWidth-1], digits)
				}
				out, err := h.Invoke(ctx, payload)
				if err != nil || string(out) != want {
					b.Fatalf("%s %v", out, err)
				}
			}
			reportRates(b, n*10, processCPU()-cpu0)
			b.ReportMetric(float64(st.txs.Load())/float64(n), "tx/batch")
			b.ReportMetric(float64(st.ops.Load())/float64(n), "ops/batch")
		})
	}
}

// evalSLOs are n SLOs of 30-day windows with the default alert table.
func evalSLOs(n int) []SLO {
	out := make([]SLO, n)
	for i := range out {
		svc := "svc-" + strconv.Itoa(i)
		out[i] = SLO{Name: svc + "-availability", Service: svc, Total: Selector{Service: svc},
			Good: Selector{Service: svc, Status: "ok"}, HasGood: true, Target: 0.999,
			Window: Window{Rolling: 30 * 24 * time.Hour}, Budgeting: Occurrences, Alerts: DefaultAlerts(), MinEvents: DefaultMinEvents}
	}
	return out
}

// fillBuckets writes 30 days (and the retention margin) of a sparse stream
// for every SLO straight as bucket adds, as Count would have written them:
// two minutes with events in every hour, 40 events each, now and then a
// few bad.
func fillBuckets(b *testing.B, st store.Store, slos []SLO) {
	b.Helper()
	ctx := context.Background()
	first := hourIndex(benchNow.Add(-Retention(&slos[0])))
	last := hourIndex(benchNow)
	var ops []store.Op
	flush := func() {
		if err := st.Transact(ctx, ops); err != nil {
			b.Fatal(err)
		}
		ops = ops[:0]
	}
	for i := range slos {
		s := &slos[i]
		ret := Retention(s)
		for h := first; h <= last; h++ {
			exp := time.Unix((h+1)*3600, 0).Add(ret)
			var hourSum int64
			for _, m := range []int64{int64(i+int(h)) % 30, 30 + int64(i*7+int(h))%30} {
				t := time.Unix(h*3600+m*60, 0)
				if !t.Before(benchNow) {
					continue
				}
				bad := int64(0)
				if (int64(i)+h+m)%11 == 0 {
					bad = 2
				}
				d := pack(40, 40-bad)
				hourSum += d
				mk, _ := bucketKeys(s.Name, t)
				ops = append(ops, store.Op{Kind: store.OpAdd, Item: store.Item{Key: mk, ExpiresAt: exp}, Delta: d})
			}
			_, hk := bucketKeys(s.Name, time.Unix(h*3600, 0))
			if hourSum != 0 {
				ops = append(ops, store.Op{Kind: store.OpAdd, Item: store.Item{Key: hk, ExpiresAt: exp}, Delta: hourSum})
			}
			if len(ops) > store.MaxTransactOps-3 {
				flush()
			}
		}
	}
	if len(ops) > 0 {
		flush()
	}
}

// evalStores holds the filled stores across -count runs: filling them
// takes longer than the evaluations measured.
var evalStores struct {
	sync.Mutex
	mem  store.Store
	bolt store.Store
	dir  string
}

func evalStore(b *testing.B, kind string, slos []SLO) store.Store {
	b.Helper()
	evalStores.Lock()
	defer evalStores.Unlock()
	now := func() time.Time { return benchNow }
	switch kind {
	case "memory":
		if evalStores.mem == nil {
			st := memory.New(memory.Config{Now: now})
			fillBuckets(b, st, slos)
			runtime.GC() // not the evaluations' garbage: leave none of it to them
			evalStores.mem = st
		}
		return evalStores.mem
	default:
		if evalStores.bolt == nil {
			dir, err := os.MkdirTemp("", "slo-bench-bolt-")
			if err != nil {
				b.Fatal(err)
			}
			st, err := bolt.Open(bolt.Config{Dir: dir, Now: now, NoSync: true})
			if err != nil {
				b.Fatal(err)
			}
			fillBuckets(b, st, slos)
			runtime.GC()
			evalStores.bolt, evalStores.dir = st, dir
		}
		return evalStores.bolt
	}
}

// TestMain removes the bolt store the benchmarks filled.
func TestMain(m *testing.M) {
	code := m.Run()
	if c, ok := evalStores.bolt.(interface{ Close() error }); ok {
		_ = c.Close()
	}
	if evalStores.dir != "" {
		_ = os.RemoveAll(evalStores.dir)
	}
	os.Exit(code)
}

// latencyStore puts a network round trip in front of every read, as a
// store across the network (DynamoDB) has: the evaluation's cost there is
// mostly waiting, and what counts is how much of it overlaps.
type latencyStore struct {
	store.Store
	d time.Duration
}

func (l latencyStore) Get(ctx context.Context, key store.Key) (store.Item, error) {
	time.Sleep(l.d)
	return l.Store.Get(ctx, key)
}

func (l latencyStore) Query(ctx context.Context, partition, prefix string, limit int) ([]store.Item, error) {
	time.Sleep(l.d)
	return l.Store.Query(ctx, partition, prefix, limit)
}

// BenchmarkEvaluate measures one Evaluate of 1,000 SLOs whose buckets hold
// 30 days: cold is a new Evaluator (a cold start: every edge hour's
// minutes read), warm the same one evaluating again (minute caches hit,
// as a warm function evaluating every minute mostly finds them). rtt=1ms
// is the memory store behind a 1 ms round trip per read.
func BenchmarkEvaluate(b *testing.B) {
	const nSLOs = 1000
	slos := evalSLOs(nSLOs)
	for _, c := range []struct {
		kind string
		warm bool
		// bolt first: its data lives outside the Go heap, the memory
		// store's 2.2M items in it, where the collector's marking would
		// be charged to whatever runs after them.
	}{{"bolt", false}, {"bolt", true}, {"memory", false}, {"memory", true}, {"memory/rtt=1ms", true}} {
		name := c.kind + "/cold"
		if c.warm {
			name = c.kind + "/warm"
		}
		b.Run(name, func(b *testing.B) {
			var st store.Store
			switch c.kind {
			case "memory/rtt=1ms":
				st = latencyStore{Store: evalStore(b, "memory", slos), d: time.Millisecond}
			default:
				st = evalStore(b, c.kind, slos)
			}
			ctx := context.Background()
			ev, err := NewEvaluator(EvaluatorConfig{Store: st, SLOs: slos})
			if err != nil {
				b.Fatal(err)
			}
			// Settle the alert states before measuring.
			if _, _, err := ev.Evaluate(ctx, benchNow); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu0 := processCPU()
			ops := 0
			for b.Loop() {
				ops++
				if !c.warm {
					ev, _ = NewEvaluator(EvaluatorConfig{Store: st, SLOs: slos})
				}
				sts, _, err := ev.Evaluate(ctx, benchNow)
				if err != nil || len(sts) != nSLOs || sts[0].Total == 0 {
					b.Fatalf("%d statuses, %v, first %+v", len(sts), err, sts[0])
				}
			}
			if cpu := processCPU() - cpu0; cpu > 0 {
				b.ReportMetric(cpu.Seconds()/float64(ops), "cpu-s/op")
			}
		})
	}
}

// The test below guards the optimisations the benchmarks drove: Count must
// write exactly the ops the straightforward construction (string keys from
// bucketKeys, maps, one sort of the ops) gives, transaction by
// transaction.

// recordingStore keeps a copy of every transaction (Count reuses its ops).
type recordingStore struct {
	store.Store
	txs [][]store.Op
}

func (r *recordingStore) Transact(ctx context.Context, ops []store.Op) error {
	r.txs = append(r.txs, append([]store.Op(nil), ops...))
	return r.Store.Transact(ctx, ops)
}

// referenceOps is what Count writes for a batch none of whose events was
// counted before, built the plain way.
func referenceOps(a *Aggregator, events []Event) [][]store.Op {
	type inc struct {
		key store.Key
		d   int64
		exp time.Time
	}
	type unit struct {
		marker store.Key
		expiry time.Time
		incs   []inc
	}
	now := a.now()
	var units []unit
	seen := map[store.Key]bool{}
	for i := range events {
		e := &events[i]
		if e.ID == "" || e.Time.IsZero() || e.Time.After(now.Add(a.maxFuture)) || e.Time.Before(now.Add(-a.longest)) {
			continue
		}
		if k := seenKey(e, 0); seen[k] {
			continue
		} else {
			seen[k] = true
		}
		var incs []inc
		for j := range a.slos {
			ok, good := a.slos[j].Classify(e)
			if !ok || e.Time.Before(now.Add(-a.retention[j])) {
				continue
			}
			g := int64(0)
			if good {
				g = 1
			}
			mk, hk := bucketKeys(a.slos[j].Name, e.Time)
			exp := time.Unix((hourIndex(e.Time)+1)*3600, 0).Add(a.retention[j])
			incs = append(incs, inc{mk, pack(1, g), exp}, inc{hk, pack(1, g), exp})
		}
		for part := 0; len(incs) > 0; part++ {
			n := min(len(incs), store.MaxTransactOps-1)
			units = append(units, unit{seenKey(e, part), e.Time.Add(a.longest), incs[:n]})
			incs = incs[n:]
		}
	}
	var out [][]store.Op
	for len(units) > 0 {
		keys := map[store.Key]bool{}
		n := len(units)
		for i, u := range units {
			need := 1
			for _, c := range u.incs {
				if !keys[c.key] {
					need++
				}
			}
			if i > 0 && len(keys)+i+need > store.MaxTransactOps {
				n = i
				break
			}
			for _, c := range u.incs {
				keys[c.key] = true
			}
		}
		group := units[:n]
		units = units[n:]
		var ops []store.Op
		sums := map[store.Key]*inc{}
		var order []store.Key
		for _, u := range group {
			ops = append(ops, store.Op{Kind: store.OpPut, Item: store.Item{Key: u.marker, Value: []byte{'1'}, ExpiresAt: u.expiry}, Cond: store.Condition{IfAbsent: true}})
			for _, c := range u.incs {
				if s, ok := sums[c.key]; ok {
					s.d += c.d
					continue
				}
				c := c
				sums[c.key] = &c
				order = append(order, c.key)
			}
		}
		sort.Slice(order, func(i, j int) bool {
			if order[i].Partition != order[j].Partition {
				return order[i].Partition < order[j].Partition
			}
			return order[i].Sort < order[j].Sort
		})
		for _, k := range order {
			ops = append(ops, store.Op{Kind: store.OpAdd, Item: store.Item{Key: k, ExpiresAt: sums[k].exp}, Delta: sums[k].d})
		}
		out = append(out, ops)
	}
	return out
}

func TestCountWritesTheReferenceOps(t *testing.T) {
	// Sixty SLOs selecting everything make an event's increments overflow
	// a transaction, so it is split into parts.
	many := make([]SLO, 60)
	for i := range many {
		many[i] = SLO{Name: fmt.Sprintf("all-%02d", i), Total: Selector{}, Bad: Selector{Status: "error"}, HasBad: true,
			Target: 0.99, Window: Window{Rolling: time.Duration(1+i%3) * 24 * time.Hour}}
	}
	cases := []struct {
		name  string
		slos  []SLO
		batch func(k int) []Event
	}{
		{"ten SLOs, batch of 10", benchSLOs(), func(k int) []Event {
			var out []Event
			for i := range 10 {
				out = append(out, benchEvent(k*10+i))
			}
			return out
		}},
		{"ten SLOs, batch of 100 spread over days, with repeats and refusals", benchSLOs(), func(k int) []Event {
			var out []Event
			for i := range 100 {
				e := benchEvent(k*100 + i)
				e.Time = benchNow.Add(-time.Duration((k*100+i)*7919%(40*24*3600)) * time.Second)
				switch i % 23 {
				case 5:
					e.ID = out[i-3].ID // a repeat in the batch
				case 6:
					e.Source = "" // named like source "-"
				case 7:
					e.Time = benchNow.Add(time.Hour) // too far ahead
				}
				out = append(out, e)
			}
			return out
		}},
		{"sixty SLOs, split events", many, func(k int) []Event {
			var out []Event
			for i := range 7 {
				out = append(out, benchEvent(k*7+i))
			}
			return out
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &recordingStore{Store: memory.New(memory.Config{Now: func() time.Time { return benchNow }})}
			a, err := NewAggregator(AggregatorConfig{Store: rec, SLOs: c.slos, Now: func() time.Time { return benchNow }})
			if err != nil {
				t.Fatal(err)
			}
			for k := range 5 {
				batch := c.batch(k)
				rec.txs = nil
				want := referenceOps(a, batch)
				rep, err := a.Count(context.Background(), batch)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(rec.txs, want) {
					t.Fatalf("batch %d: Count wrote %d transactions, the reference %d; first differing:\n%s", k, len(rec.txs), len(want), firstDiff(rec.txs, want))
				}
				if rep.Transactions != len(want) {
					t.Errorf("batch %d: report says %d transactions, want %d", k, rep.Transactions, len(want))
				}
				// Delivered again: every event is a duplicate, nothing more is added.
				again, err := a.Count(context.Background(), batch)
				if err != nil || again.Counted != 0 || again.Duplicates != rep.Counted+rep.Duplicates {
					t.Errorf("batch %d again: %+v, %v; first delivery %+v", k, again, err, rep)
				}
			}
		})
	}
}

func firstDiff(got, want [][]store.Op) string {
	for i := range min(len(got), len(want)) {
		for j := range min(len(got[i]), len(want[i])) {
			if !reflect.DeepEqual(got[i][j], want[i][j]) {
				return fmt.Sprintf("tx %d op %d: got %+v, want %+v", i, j, got[i][j], want[i][j])
			}
		}
		if len(got[i]) != len(want[i]) {
			return fmt.Sprintf("tx %d: %d ops, want %d", i, len(got[i]), len(want[i]))
		}
	}
	return "(lengths differ)"
}

// TestSeriesSumMatchesMinuteByMinute checks the running-sum path of sum
// against the definition: every minute bucket in [from, to) added up.
func TestSeriesSumMatchesMinuteByMinute(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	st := memory.New(memory.Config{Now: func() time.Time { return benchNow }})
	s := evalSLOs(1)
	a, err := NewAggregator(AggregatorConfig{Store: st, SLOs: s, Now: func() time.Time { return benchNow }})
	if err != nil {
		t.Fatal(err)
	}
	var batch []Event
	for i := range 3000 {
		status := "ok"
		if rng.Intn(9) == 0 {
			status = "error"
		}
		// Sparse, with whole empty hours.
		at := benchNow.Add(-time.Duration(rng.Int63n(int64(10 * 24 * time.Hour))))
		if at.Hour()%5 == 0 {
			continue
		}
		batch = append(batch, Event{Source: "t", ID: strconv.Itoa(i), Time: at, Service: "svc-0", Status: status})
	}
	if rep, err := a.Count(context.Background(), batch); err != nil || rep.Failed() > 0 {
		t.Fatal(rep, err)
	}
	sr := newSeries(s[0].Name)
	ctx := context.Background()
	if err := sr.refresh(ctx, st); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		from := benchNow.Add(-time.Duration(rng.Int63n(int64(11 * 24 * time.Hour))))
		if i%3 == 0 {
			from = from.Truncate(time.Hour)
		}
		to := from.Add(time.Duration(rng.Int63n(int64([]time.Duration{time.Hour, 3 * time.Hour, 5 * 24 * time.Hour}[i%3]))))
		if i%4 == 0 {
			to = to.Truncate(time.Minute)
		}
		total, good, err := sr.sum(ctx, st, from, to)
		if err != nil {
			t.Fatal(err)
		}
		first, end := minuteSpan(from, to)
		var packed int64
		for m := first; m < end; m++ {
			mins, err := sr.minutesOf(ctx, st, floorDiv(m, 60))
			if err != nil {
				t.Fatal(err)
			}
			packed += mins[m-floorDiv(m, 60)*60]
		}
		wt, wg := unpack(packed)
		if total != wt || good != wg {
			t.Fatalf("sum over [%s, %s) = %d good of %d, minute by minute %d of %d", from, to, good, total, wg, wt)
		}
	}
}

// TestEvaluateNotifiesInOrder checks that reading SLOs concurrently leaves
// the writes and Notify calls one at a time, in SLO order.
func TestEvaluateNotifiesInOrder(t *testing.T) {
	st := memory.New(memory.Config{Now: func() time.Time { return benchNow }})
	slos := evalSLOs(3 * evalWorkers)
	a, err := NewAggregator(AggregatorConfig{Store: st, SLOs: slos, Now: func() time.Time { return benchNow }})
	if err != nil {
		t.Fatal(err)
	}
	var batch []Event
	for i := range slos {
		for k := range 40 {
			status := "ok"
			if k%2 == 0 {
				status = "error" // burning fast: the page fires
			}
			batch = append(batch, Event{Source: "t", ID: fmt.Sprintf("%d-%d", i, k), Time: benchNow.Add(-time.Duration(k) * 3 * time.Minute),
				Service: slos[i].Service, Status: status})
		}
	}
	if rep, err := a.Count(context.Background(), batch); err != nil || rep.Counted != len(batch) {
		t.Fatal(rep, err)
	}
	var inFlight atomic.Int32
	var got []string
	ev, err := NewEvaluator(EvaluatorConfig{Store: st, SLOs: slos, Notify: func(_ context.Context, tr Transition) error {
		if inFlight.Add(1) != 1 {
			t.Error("Notify called concurrently")
		}
		defer inFlight.Add(-1)
		got = append(got, tr.SLO+"/"+tr.Severity)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	sts, trans, err := ev.Evaluate(context.Background(), benchNow)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i, s := range slos {
		if sts[i].SLO != s.Name {
			t.Fatalf("status %d is %s, want %s", i, sts[i].SLO, s.Name)
		}
		want = append(want, s.Name+"/page", s.Name+"/ticket")
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Notify calls %v, want a page and a ticket per SLO in order %v", got, want)
	}
	if len(trans) != len(want) {
		t.Errorf("%d transitions, want %d", len(trans), len(want))
	}
}
