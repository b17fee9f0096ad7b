package ratelimit_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/ratelimit"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo/dynamotest"
	"github.com/cogniforge/cogniforge/test/testenv"
)

// The policy the shared-state tests hold: 100/s, burst 20, so over D
// seconds the limit is 20 + 100 × D; leases of 10 (ceil(burst/2) caps
// round(100 × 250 ms) = 25).
const (
	sharedPolicy = "policies:\n- {class: premium, api: '*', rate: 100/s, burst: 20}\n"
	sharedRate   = 100
	sharedBurst  = 20
	sharedWindow = 3 * time.Second
)

var hammered = apiclient.Client{ID: "acme", Class: apiclient.Premium, Via: apiclient.ViaAPIKey}

type writeCounter struct {
	store.Store
	puts atomic.Int64
}

func (w *writeCounter) Put(ctx context.Context, it store.Item, c store.Condition) (store.Item, error) {
	w.puts.Add(1)
	return w.Store.Put(ctx, it, c)
}

func sharedLimiter(t testing.TB, st store.Store) *ratelimit.Limiter {
	t.Helper()
	ps, err := ratelimit.Parse(ratelimit.File{Name: "shared.yaml", Data: []byte(sharedPolicy)})
	if err != nil {
		t.Fatal(err)
	}
	l, err := ratelimit.New(ratelimit.Config{Policies: ps, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// hammer sends requests of the client as fast as it can from start until
// start+window and returns how many were allowed. Decisions that carried a
// store error count as failures of the test (fail-open would hide them).
func hammer(l *ratelimit.Limiter, start time.Time, window time.Duration) (allowed, storeErrs int) {
	time.Sleep(time.Until(start))
	end := start.Add(window)
	for time.Now().Before(end) {
		d := l.Allow(context.Background(), hammered, "orders")
		if d.Allowed {
			allowed++
		}
		if d.Err != nil && d.Allowed {
			storeErrs++
		}
		if !d.Allowed {
			// A refused client backs off a little, as real ones do; the
			// limiter answers refusals in process either way.
			time.Sleep(200 * time.Microsecond)
		}
	}
	return allowed, storeErrs
}

// checkTolerance asserts allowed is within the documented tolerance of the
// limit: ±N × L (N instances, L the lease size).
func checkTolerance(t *testing.T, allowed, instances int, window time.Duration) {
	t.Helper()
	ps, _ := ratelimit.Parse(ratelimit.File{Name: "shared.yaml", Data: []byte(sharedPolicy)})
	p, _ := ps.For(apiclient.Premium, "orders")
	lease := ratelimit.LeaseSize(p, ratelimit.DefaultLeaseInterval)
	limit := float64(sharedBurst) + sharedRate*window.Seconds()
	tol := float64(int64(instances) * lease)
	t.Logf("%d instances, %v: %d allowed; limit %.0f, tolerance ±%.0f (N × L = %d × %d, %.1f%%)",
		instances, window, allowed, limit, tol, instances, lease, 100*tol/limit)
	// The upper bound is the guarantee. The lower one only says the limit
	// is not needlessly strict: on a loaded machine moto's lease writes
	// slow down and the hammers leave tokens unspent (251 of 320 seen at
	// load average 20), so it is half the limit here; the fake-clock test
	// of two instances holds both bounds exactly.
	if float64(allowed) > limit+tol || float64(allowed) < limit/2 {
		t.Errorf("%d allowed, want at most %.0f + %.0f and at least half of %.0f", allowed, limit, tol, limit)
	}
}

// Two limiter instances, each with its own in-process fast path, share
// one DynamoDB (moto) table: together they hold the client to the limit.
func TestSharedLimitTwoInstancesOnDynamoDB(t *testing.T) {
	if testing.Short() {
		t.Skip("moto")
	}
	endpoint := testenv.StartMoto(t, testenv.Serial())
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, endpoint))
	st := &writeCounter{Store: dynamotest.NewStore(t, db, dynamo.Config{})}
	a, b := sharedLimiter(t, st), sharedLimiter(t, st)
	start := time.Now().Add(200 * time.Millisecond)
	var wg sync.WaitGroup
	counts := make([]int, 2)
	errs := make([]int, 2)
	for i, l := range []*ratelimit.Limiter{a, b} {
		wg.Go(func() { counts[i], errs[i] = hammer(l, start, sharedWindow) })
	}
	wg.Wait()
	if errs[0]+errs[1] > 0 {
		t.Fatalf("store errors: %v (the limit was not shared)", errs)
	}
	if counts[0] == 0 || counts[1] == 0 {
		t.Errorf("one instance got nothing: %v", counts)
	}
	checkTolerance(t, counts[0]+counts[1], 2, sharedWindow)
	// One write per lease: allowed / L writes, plus the races lost.
	writes := st.puts.Load()
	leases := float64(counts[0]+counts[1]) / 10
	t.Logf("store writes: %d for %d allowed (%.1f per lease of 10)", writes, counts[0]+counts[1], float64(writes)/leases)
	if float64(writes) > 2*leases+4 {
		t.Errorf("%d store writes for %.0f leases: more than one per lease (plus lost races)", writes, leases)
	}
}

// Two OS processes (this test binary, re-run as TestHammerProcess) share
// one table and hammer the same client.
func TestSharedLimitTwoProcessesOnDynamoDB(t *testing.T) {
	if testing.Short() {
		t.Skip("moto")
	}
	endpoint := testenv.StartMoto(t, testenv.Serial())
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, endpoint))
	table := dynamotest.TableName(t)
	if err := dynamo.CreateTable(context.Background(), db, table, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(2 * time.Second) // both processes started and connected
	var procs []*exec.Cmd
	var outs []*strings.Builder
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHammerProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), "RATELIMIT_HAMMER="+endpoint+","+table+","+strconv.FormatInt(start.UnixNano(), 10))
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs, outs = append(procs, cmd), append(outs, out)
	}
	total := 0
	for i, p := range procs {
		if err := p.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i, err, outs[i])
		}
		var n int
		line := outs[i].String()
		at := strings.Index(line, "ALLOWED=")
		if at < 0 {
			t.Fatalf("process %d said: %s", i, line)
		}
		if _, err := fmt.Sscanf(line[at:], "ALLOWED=%d", &n); err != nil {
			t.Fatalf("process %d said: %s", i, line)
		}
		t.Logf("process %d: %d allowed", i, n)
		total += n
	}
	checkTolerance(t, total, 2, sharedWindow)
}

// TestHammerProcess is one of TestSharedLimitTwoProcessesOnDynamoDB's
// processes; run alone, it skips.
func TestHammerProcess(t *testing.T) {
	spec := os.Getenv("RATELIMIT_HAMMER")
	if spec == "" {
		t.Skip("a helper process of TestSharedLimitTwoProcessesOnDynamoDB")
	}
	parts := strings.Split(spec, ",")
	startNs, _ := strconv.ParseInt(parts[2], 10, 64)
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, parts[0]))
	st, err := dynamo.New(dynamo.Config{Client: db, Table: parts[1]})
	if err != nil {
		t.Fatal(err)
	}
	// Warm the connection before the start, as a running instance is.
	_, _ = st.Get(context.Background(), store.Key{Partition: "warm", Sort: "up"})
	allowed, storeErrs := hammer(sharedLimiter(t, st), time.Unix(0, startNs), sharedWindow)
	if storeErrs > 0 {
		t.Fatalf("%d store errors", storeErrs)
	}
	fmt.Printf("ALLOWED=%d\n", allowed)
}
