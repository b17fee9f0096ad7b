package resilience_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

func command(subject string, c resilience.Command) cloudevents.Event {
	ev := cloudevents.New()
	ev.SetID("c-1")
	ev.SetSource("test")
	ev.SetType(resilience.CommandType)
	ev.SetSubject(subject)
	_ = ev.SetData("application/json", c)
	return ev
}

func TestAdminFunction(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC))
	fn := resilience.NewAdminFunction(&resilience.Admin{Store: memory.New(memory.Config{}), Now: fake.Now})
	ctx := context.Background()
	reply, err := fn.Handler(ctx, command("/breakers/payments-api/force", resilience.Command{Mode: "open", For: "5m"}))
	if err != nil {
		t.Fatal(err)
	}
	var bs resilience.BreakerStatus
	if err := json.Unmarshal(reply.Data(), &bs); err != nil || bs.Forced != resilience.ForceOpen || !bs.ForcedUntil.Equal(fake.Now().Add(5*time.Minute)) {
		t.Fatalf("force reply %s %v", reply.Data(), err)
	}
	// A Step Functions task names the breaker in its data.
	if _, err := fn.Handler(ctx, command("", resilience.Command{Name: "orders-db", Mode: "closed"})); err != nil {
		t.Fatal(err)
	}
	reply, err = fn.Handler(ctx, command("/breakers", resilience.Command{}))
	if err != nil {
		t.Fatal(err)
	}
	var st resilience.Status
	if err := json.Unmarshal(reply.Data(), &st); err != nil || len(st.Breakers) != 2 || st.Breakers[0].Name != "orders-db" || st.Breakers[1].Forced != resilience.ForceOpen {
		t.Fatalf("status %s %v", reply.Data(), err)
	}
	for _, tc := range []struct {
		c     resilience.Command
		field string
	}{
		{resilience.Command{Mode: "sideways"}, "mode"},
		{resilience.Command{Mode: "open", For: "soon"}, "for"},
		{resilience.Command{Mode: "open", Until: "2020-01-01T00:00:00Z"}, "until"},
	} {
		_, err := fn.Handler(ctx, command("/breakers/payments-api/force", tc.c))
		if faas.ErrorName(err) != faas.ErrInvalidEvent || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%+v: %v, want an invalid %s", tc.c, err, tc.field)
		}
	}
}

func TestOpenForcer(t *testing.T) {
	fake := clock.NewFake(time.Now()) // NewBreakerStatus reads the wall clock
	st := memory.New(memory.Config{})
	f := resilience.OpenForcer{Admin: &resilience.Admin{Store: st, Now: fake.Now}}
	ctx := context.Background()
	if err := f.Force(ctx, "payments-api", true, fake.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	bs, _ := resilience.NewBreakerStatus(ctx, st, "payments-api")
	if bs.Forced != resilience.ForceOpen {
		t.Fatalf("%+v", bs)
	}
	if err := f.Force(ctx, "payments-api", false, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if bs, _ = resilience.NewBreakerStatus(ctx, st, "payments-api"); bs.Forced != resilience.ForceNone {
		t.Fatalf("%+v", bs)
	}
}
