// Package faastest holds what the tests of the faas adapters share: a
// function with every failure mode (Function, Handler), a validator, events
// and the aws-lambda-go sample payloads. Tests of other packages may use it.
package faastest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas/adapter"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
)

const (
	CompletedType = "dev.cogniforge.request.completed.v1"
	RecordedType  = "dev.cogniforge.request.recorded.v1"
	TaskType      = "dev.cogniforge.task.invoked.v1"
)

// RequestCompleted is the data of a request.completed event.
type RequestCompleted struct {
	Service    string  `json:"service"`
	Operation  string  `json:"operation"`
	Status     string  `json:"status"`
	DurationMs float64 `json:"durationMs"`
}

// Validator requires service to be set on request.completed events.
type Validator struct{}

func (Validator) Validate(ev cloudevents.Event) error {
	if ev.Type() != CompletedType {
		return nil
	}
	var d RequestCompleted
	if err := ev.DataAs(&d); err != nil {
		return &faas.FieldError{Field: "data", Err: err}
	}
	if d.Service == "" {
		return &faas.FieldError{Field: "data.service", Err: errors.New("required")}
	}
	return nil
}

// Handler replies to request.completed with request.recorded; the
// operation field steers failures: "business" -> Saga.BusinessError,
// "panic" -> panic, "plain" -> unnamed error, "noreply" -> no reply,
// "retry" -> a retryable named error.
func Handler(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
	var d RequestCompleted
	if err := ev.DataAs(&d); err != nil {
		return nil, faas.Errorf(faas.ErrInvalidEvent, "data: %w", err)
	}
	switch d.Operation {
	case "business":
		return nil, faas.Errorf("Saga.BusinessError", "order %s refused", d.Service)
	case "retry":
		return nil, &faas.Error{Name: "Store.Throttled", Message: "slow down", Retryable: true}
	case "panic":
		panic("boom")
	case "plain":
		return nil, errors.New("secret internals")
	case "noreply":
		return nil, nil
	case "slow":
		<-ctx.Done()
		return nil, ctx.Err()
	}
	reply := cloudevents.NewEvent()
	reply.SetID("reply-" + ev.ID())
	reply.SetSource("/test")
	reply.SetType(RecordedType)
	reply.SetTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if err := reply.SetData(cloudevents.ApplicationJSON, map[string]any{"service": d.Service, "ok": true}); err != nil {
		return nil, err
	}
	return &reply, nil
}

// Function is the recorder function: Handler, raw payloads wrapped as
// CompletedType, and a POST /requests route.
func Function() faas.Function {
	return faas.Function{
		Name:          "recorder",
		Handler:       Handler,
		TaskEventType: CompletedType,
		Routes:        []faas.Route{{Method: "POST", Path: "/requests", EventType: CompletedType}},
	}
}

// QuietLogger discards every record.
func QuietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Options are the adapter options of the tests: QuietLogger and Validator.
func Options() []adapter.Option {
	return []adapter.Option{adapter.WithLogger(QuietLogger()), adapter.WithValidator(Validator{})}
}

// CompletedEvent is a request.completed event with data d.
func CompletedEvent(id string, d RequestCompleted) cloudevents.Event {
	ev := cloudevents.NewEvent()
	ev.SetID(id)
	ev.SetSource("/gateway")
	ev.SetType(CompletedType)
	ev.SetTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if err := ev.SetData(cloudevents.ApplicationJSON, d); err != nil {
		panic(err)
	}
	return ev
}

// StructuredJSON is ev in structured mode.
func StructuredJSON(t testing.TB, ev cloudevents.Event) string {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// LambdaTestdata reads a sample payload shipped with aws-lambda-go.
func LambdaTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(LambdaEventsDir(t), name))
	if err != nil {
		t.Fatalf("aws-lambda-go sample %s: %v", name, err)
	}
	return b
}

var (
	lambdaDirOnce sync.Once
	lambdaDir     string
	lambdaDirErr  error
)

// LambdaEventsDir finds aws-lambda-go's events/testdata through `go list`.
func LambdaEventsDir(t testing.TB) string {
	t.Helper()
	lambdaDirOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go").Output()
		if err != nil {
			lambdaDirErr = fmt.Errorf("go list -m github.com/aws/aws-lambda-go: %w (run `go mod download github.com/aws/aws-lambda-go`)", err)
			return
		}
		lambdaDir = filepath.Join(strings.TrimSpace(string(out)), "events", "testdata")
	})
	if lambdaDirErr != nil {
		t.Fatal(lambdaDirErr)
	}
	return lambdaDir
}

// ProblemOf decodes a problem body.
func ProblemOf(t testing.TB, r io.Reader) faas.Problem {
	t.Helper()
	var p faas.Problem
	if err := json.NewDecoder(r).Decode(&p); err != nil {
		t.Fatalf("problem body: %v", err)
	}
	return p
}
