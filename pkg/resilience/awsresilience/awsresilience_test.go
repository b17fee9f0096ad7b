package awsresilience_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/resilience/awsresilience"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// fakeEventBridge answers PutEvents with the given errors (an AWS JSON
// error type, or "" for success) in turn.
func fakeEventBridge(t *testing.T, answers ...string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n := calls.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if a := answers[min(int(n), len(answers))-1]; a != "" {
			w.Header().Set("X-Amzn-ErrorType", a)
			code := 400
			if strings.HasPrefix(a, "Internal") {
				code = 500 // a server fault
			}
			w.WriteHeader(code)
			_, _ = io.WriteString(w, `{"__type":"`+a+`","message":"no"}`)
			return
		}
		_, _ = io.WriteString(w, `{"Entries":[{"EventId":"e-1"}],"FailedEntryCount":0}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func client(url string, p *resilience.Policy) *eventbridge.Client {
	return eventbridge.New(eventbridge.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: aws.AnonymousCredentials{}, Retryer: awsresilience.Retryer(),
		APIOptions: []func(*middleware.Stack) error{awsresilience.Middleware(p)},
	})
}

func put(ctx context.Context, c *eventbridge.Client) error {
	_, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{{
		Source: aws.String("test"), DetailType: aws.String("t"), Detail: aws.String("{}"), EventBusName: aws.String("cogniforge"),
	}}})
	return err
}

func TestThrottlingIsRetriedValidationIsNot(t *testing.T) {
	for _, tc := range []struct {
		name      string
		answers   []string
		wantCalls int64
		wantErr   string
	}{
		{"throttled then accepted", []string{"ThrottlingException", ""}, 2, ""},
		{"internal error then accepted", []string{"InternalException", ""}, 2, ""},
		{"validation is permanent", []string{"ValidationException", ""}, 1, "ValidationException"},
		{"throttled every time", []string{"ThrottlingException"}, 3, "ThrottlingException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, calls := fakeEventBridge(t, tc.answers...)
			fake := clock.NewFake(time.Now())
			p, err := resilience.NewPolicy(resilience.PolicyConfig{Name: "event-bus", Idempotent: true, Clock: fake})
			if err != nil {
				t.Fatal(err)
			}
			err = put(context.Background(), client(srv.URL, p))
			var api smithy.APIError
			switch {
			case calls.Load() != tc.wantCalls:
				t.Errorf("%d calls, want %d", calls.Load(), tc.wantCalls)
			case tc.wantErr == "" && err != nil:
				t.Errorf("err %v", err)
			case tc.wantErr != "" && (!errors.As(err, &api) || api.ErrorCode() != tc.wantErr):
				t.Errorf("err %v, want the SDK's %s", err, tc.wantErr)
			}
		})
	}
}

func TestSharedBreakerStopsCallingAWS(t *testing.T) {
	srv, calls := fakeEventBridge(t, "InternalException")
	fake := clock.NewFake(time.Now())
	br, err := resilience.NewBreaker(resilience.BreakerConfig{Name: "event-bus", Store: memory.New(memory.Config{}), Now: fake.Now,
		Settings: resilience.BreakerSettings{FailureThreshold: 3}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := resilience.NewPolicy(resilience.PolicyConfig{Name: "event-bus", Idempotent: true, Clock: fake, Breaker: br,
		Retry: resilience.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	c := client(srv.URL, p)
	for range 5 {
		err = put(context.Background(), c)
	}
	if calls.Load() != 3 || faas.ErrorName(err) != resilience.ErrNameCircuitOpen {
		t.Errorf("%d calls reached AWS, last error %v; want 3 and the breaker open", calls.Load(), err)
	}
}
