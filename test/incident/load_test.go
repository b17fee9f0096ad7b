package incident_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/cogniforge/cogniforge/pkg/notify"
	"github.com/cogniforge/cogniforge/test/testenv"
)

// receiver is a webhook endpoint that checks every signature, as a real
// receiver must, and counts deliveries per incident, action and target.
type receiver struct {
	secret []byte
	mu     sync.Mutex
	seen   map[string]int // incidentId/action/target -> deliveries
	bad    atomic.Int64   // refused: bad signature or body
	total  atomic.Int64
	last   atomic.Int64 // UnixNano of the latest delivery
	half   atomic.Int64 // UnixNano when total reached halfAt
	halfAt int64
}

func newReceiver(secret string) *receiver {
	return &receiver{secret: []byte(secret), seen: map[string]int{}}
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err == nil {
		err = notify.Verify(r.secret, req.Header.Get(notify.HeaderTimestamp), body, req.Header.Get(notify.HeaderSignature), time.Now(), 0)
	}
	var m struct {
		Action     string `json:"action"`
		Target     string `json:"target"`
		IncidentID string `json:"incidentId"`
	}
	if err == nil {
		err = json.Unmarshal(body, &m)
	}
	if err != nil {
		r.bad.Add(1)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	r.mu.Lock()
	r.seen[m.IncidentID+"/"+m.Action+"/"+m.Target]++
	r.mu.Unlock()
	now := time.Now().UnixNano()
	if r.total.Add(1) == r.halfAt {
		r.half.Store(now)
	}
	r.last.Store(now)
	w.WriteHeader(http.StatusNoContent)
}

// loadResult is what one escalation load run measured.
type loadResult struct {
	incidents   int
	posted      time.Duration // first alert posted -> gateway accepted the last
	firstLevel  time.Duration // first alert posted -> n pages delivered
	drain       time.Duration // first alert posted -> last notification
	missed      int           // expected pages never delivered
	duplicates  int           // pages delivered more than once
	notSucceded int           // escalations that did not end SUCCEEDED
}

// escalateAtOnce starts `cogniforge run` with a two-level policy (alice by
// schedule, then bob 2 s later, delivered over a signed webhook), posts n
// SLO page alerts with distinct dedup keys through event-gateway as fast
// as 32 clients can, and waits for every escalation to run both levels.
// Each incident is one execution of the real incident-escalation state
// machine, with a real Wait state between its steps: all n wait at once.
func escalateAtOnce(tb testing.TB, n int) loadResult {
	tb.Helper()
	const secret = "load-s3cret"
	recv := newReceiver(secret)
	recv.halfAt = int64(n)
	hook := httptest.NewServer(recv)
	tb.Cleanup(hook.Close)

	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(tb))
	base := "http://" + addr
	cfg := tb.TempDir()
	writeFile(tb, filepath.Join(cfg, "oncall", "schedules.yaml"), `schedules:
  - name: primary
    timeZone: UTC
    layers:
      - {name: all, start: "2026-01-05T00:00", length: 1w, participants: [alice]}
`)
	writeFile(tb, filepath.Join(cfg, "oncall", "policies.yaml"), `policies:
  - name: all
    default: true
    levels:
      - {targets: [{schedule: primary}], channels: [webhook], delay: 2s}
      - {targets: [{user: bob}], channels: [webhook], delay: 1s}
`)
	writeFile(tb, filepath.Join(cfg, "oncall", "channels.yaml"), fmt.Sprintf(`channels:
  - {name: webhook, type: webhook, url: "%s/hooks", secretEnv: TEST_HOOK_SECRET}
`, hook.URL))
	dataDir := tb.TempDir()
	args := []string{"run", "--addr", addr, "--data-dir", dataDir, "--config", cfg, "--statemachines", filepath.Join("..", "..", "statemachines")}
	if p := os.Getenv("LOAD_CPUPROFILE"); p != "" {
		args = append(args, "--cpuprofile", p) // where the runtime spends its time
	}
	cmd := exec.Command(cli, args...)
	cmd.Env = append(os.Environ(), "TEST_HOOK_SECRET="+secret)
	logs := &tailBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	tb.Cleanup(func() {
		// Stop it as an operator would, so a CPU profile is written.
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	until := func(what string, limit time.Duration, cond func() bool) {
		tb.Helper()
		deadline := time.Now().Add(limit)
		for !cond() {
			select {
			case <-done:
				tb.Fatalf("cogniforge run exited while waiting until %s:\n%s", what, logs.String())
			default:
			}
			if time.Now().After(deadline) {
				tb.Fatalf("timed out waiting until %s\n%s", what, logs.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	until("the runtime answers", 40*time.Second, func() bool {
		resp, err := client.Get(base + "/functions")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})

	start := time.Now()
	var next atomic.Int64
	errs := make(chan error, 32)
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				id := "load-" + strconv.FormatInt(i, 10)
				resp, err := client.Post(base+"/functions/event-gateway", "application/cloudevents+json", strings.NewReader(loadAlert(id)))
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("gateway: %s", resp.Status)
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	posted := time.Since(start)
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
	// Every incident pages alice, then bob: 2n deliveries. Allow a
	// generous bound; a step that is missed never arrives and fails below.
	want := int64(2 * n)
	limit := 60*time.Second + time.Duration(n)*20*time.Millisecond
	until(fmt.Sprintf("%d notifications arrive", want), limit, func() bool { return recv.total.Load() >= want })
	drain := time.Duration(recv.last.Load() - start.UnixNano())

	res := loadResult{incidents: n, posted: posted, drain: drain,
		firstLevel: time.Duration(recv.half.Load() - start.UnixNano())}
	recv.mu.Lock()
	incidents := map[string]bool{}
	for key, c := range recv.seen {
		incidents[strings.SplitN(key, "/", 2)[0]] = true
		if c > 1 {
			res.duplicates += c - 1
		}
	}
	for id := range incidents {
		for _, who := range []string{"alice", "bob"} {
			if recv.seen[id+"/trigger/"+who] == 0 {
				res.missed++
			}
		}
	}
	recv.mu.Unlock()
	res.missed += 2 * (n - len(incidents))
	if bad := recv.bad.Load(); bad > 0 {
		tb.Errorf("%d webhook deliveries had a bad signature or body", bad)
	}

	// Every escalation ends SUCCEEDED once its last level has paged.
	sf := sfn.NewFromConfig(testenv.AWSConfig(tb, base))
	arn := "arn:aws:states:us-east-1:123456789012:stateMachine:incident-escalation"
	succeeded := 0
	until("every escalation ends", limit, func() bool {
		succeeded = 0
		p := sfn.NewListExecutionsPaginator(sf, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn),
			StatusFilter: types.ExecutionStatusSucceeded, MaxResults: 1000})
		for p.HasMorePages() {
			page, err := p.NextPage(context.Background())
			if err != nil {
				return false
			}
			succeeded += len(page.Executions)
		}
		return succeeded >= n
	})
	res.notSucceded = n - succeeded
	return res
}

func loadAlert(id string) string {
	now := time.Now().UTC().Format(time.RFC3339)
	return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"cogniforge/slo-evaluator","type":"dev.cogniforge.slo.alert.firing.v1","time":%q,
"datacontenttype":"application/json","correlationid":%q,"data":{"slo":"checkout-availability","service":"checkout","severity":"page",
"state":"firing","rule":"1h/5m","windows":["1h","5m"],"burnRate":{"long":16.7,"short":200},"threshold":14.4,"target":0.999,
"budgetRemaining":0.9,"since":%q,"dedupKey":"slo/load/%s"}}`, id, now, id, now, id)
}

func writeFile(tb testing.TB, path, data string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// tailBuffer keeps the last 64 KiB a process wrote, for failure messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 64<<10 {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-64<<10:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

func checkLoad(tb testing.TB, r loadResult) {
	tb.Helper()
	if r.missed != 0 || r.duplicates != 0 || r.notSucceded != 0 {
		tb.Errorf("%d incidents: %d pages missed, %d duplicated, %d escalations not SUCCEEDED; want none",
			r.incidents, r.missed, r.duplicates, r.notSucceded)
	}
}

// TestEscalationsAtOnce runs 500 escalations at once through the local
// runtime and checks none misses or repeats a step (make bench runs
// 10,000).
func TestEscalationsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the local runtime and runs 500 escalations")
	}
	checkLoad(t, escalateAtOnce(t, 500))
}

// BenchmarkEscalations10k is the figure: 10,000 incidents opened
// at once through event-gateway, each escalating through two levels with a
// real 2 s Wait between them, in one local runtime. It reports the time
// from the first alert to the last page and fails on any missed or
// repeated step.
func BenchmarkEscalations10k(b *testing.B) {
	for i := 0; i < b.N; i++ {
		r := escalateAtOnce(b, 10000)
		checkLoad(b, r)
		b.ReportMetric(r.posted.Seconds(), "s-to-accept")
		b.ReportMetric(r.firstLevel.Seconds(), "s-to-n-pages")
		b.ReportMetric(r.drain.Seconds(), "s-to-last-page")
		b.ReportMetric(float64(2*r.incidents)/r.drain.Seconds(), "pages/s")
		b.ReportMetric(float64(r.missed), "missed-steps")
	}
}
