package resilience_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo/dynamotest"
	"github.com/cogniforge/cogniforge/test/testenv"
)

// The test binary re-executed as one instance of a function: it opens the
// breaker on the table named by the environment and does one thing.
const (
	childEnv      = "RESILIENCE_TEST_CHILD"
	childEndpoint = "RESILIENCE_TEST_ENDPOINT"
	childTable    = "RESILIENCE_TEST_TABLE"
)

var childSettings = resilience.BreakerSettings{FailureThreshold: 3, OpenTimeout: 2 * time.Second, HalfOpenProbes: 1, SuccessThreshold: 1, CacheTTL: time.Second}

// child runs one action and prints its outcome: "fail N" records N failed
// calls; "call" makes one call (succeeding) and prints ok or refused;
// "probe" holds the call it was let through for a second before it
// succeeds.
func child() int {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
	if err != nil {
		fmt.Println(err)
		return 3
	}
	cfg.BaseEndpoint = aws.String(os.Getenv(childEndpoint))
	st, err := dynamo.New(dynamo.Config{Client: dynamodb.NewFromConfig(cfg), Table: os.Getenv(childTable)})
	if err != nil {
		fmt.Println(err)
		return 3
	}
	b, err := resilience.NewBreaker(resilience.BreakerConfig{Name: "payments-api", Settings: childSettings, Store: st})
	if err != nil {
		fmt.Println(err)
		return 3
	}
	action := strings.Fields(os.Getenv(childEnv))
	switch action[0] {
	case "fail":
		n, _ := strconv.Atoi(action[1])
		for range n {
			p, err := b.Allow(ctx)
			if err != nil {
				fmt.Println("refused")
				return 0
			}
			b.Done(ctx, p, true)
		}
		fmt.Println("failed", n)
	case "call", "probe":
		p, err := b.Allow(ctx)
		if errors.Is(err, resilience.ErrCircuitOpen) {
			fmt.Println("refused")
			return 0
		}
		if err != nil {
			fmt.Println(err)
			return 3
		}
		if action[0] == "probe" {
			time.Sleep(time.Second)
		}
		b.Done(ctx, p, false)
		fmt.Println("ok")
	}
	return 0
}

func instance(t *testing.T, endpoint, table, action string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+action, childEndpoint+"="+endpoint, childTable+"="+table)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("instance %q: %v\n%s", action, err, out.String())
	}
	return strings.TrimSpace(out.String())
}

// TestTwoProcessesShareOneBreaker: separate processes over one DynamoDB
// table (moto). Failures seen by one open the breaker for the other; after
// the open timeout exactly one of two processes racing for the one probe
// gets it; its success closes the breaker for both.
func TestTwoProcessesShareOneBreaker(t *testing.T) {
	if testing.Short() {
		t.Skip("moto and processes")
	}
	endpoint := testenv.StartMoto(t, testenv.Serial())
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, endpoint))
	table := dynamotest.TableName(t)
	if err := dynamo.CreateTable(context.Background(), db, table, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	if got := instance(t, endpoint, table, "fail 3"); got != "failed 3" {
		t.Fatalf("process A: %s", got)
	}
	if got := instance(t, endpoint, table, "call"); got != "refused" {
		t.Fatalf("process B after A's failures: %s, want refused", got)
	}
	time.Sleep(childSettings.OpenTimeout)
	var wg sync.WaitGroup
	outs := make([]string, 2)
	for i := range outs {
		wg.Add(1)
		go func() { defer wg.Done(); outs[i] = instance(t, endpoint, table, "probe") }()
	}
	wg.Wait()
	if n := strings.Count(strings.Join(outs, " "), "ok"); n != 1 {
		t.Fatalf("half-open let %d of two processes through (%v), want 1", n, outs)
	}
	for _, who := range []string{"A", "B"} {
		if got := instance(t, endpoint, table, "call"); got != "ok" {
			t.Errorf("process %s after the probe succeeded: %s, want ok (closed)", who, got)
		}
	}
}
