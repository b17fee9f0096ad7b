package chaos_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/chaos"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

type recordBus struct{ evs []cloudevents.Event }

func (b *recordBus) Publish(_ context.Context, evs []cloudevents.Event) ([]error, error) {
	b.evs = append(b.evs, evs...)
	return make([]error, len(evs)), nil
}

func request(subject, data string) cloudevents.Event {
	ev := event(events.TypeChaosRequest, data)
	ev.SetSubject(subject)
	return ev
}

func TestServiceRoutes(t *testing.T) {
	catalog, err := events.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	bus := &recordBus{}
	st := &chaos.MemoryStore{}
	svc := &chaos.Service{Manager: &chaos.Manager{Store: st, Now: func() time.Time { return t0 }, Limits: chaos.Limits{Functions: []string{"payment"}}}, Bus: bus, Source: "cogniforge/chaos-injector"}
	ctx := context.Background()

	// POST /faults injects; the request is a catalog event.
	req := request("/faults", `{"function":"payment","fault":"latency","latency":"200ms","rate":0.2,"for":"10m"}`)
	if err := catalog.Validate(req); err != nil {
		t.Fatalf("request not in the catalog's shape: %v", err)
	}
	reply, err := svc.Handle(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var f chaos.Fault
	if err := json.Unmarshal(reply.Data(), &f); err != nil || f.ID == "" || !f.ExpiresAt.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("inject reply %s: %v", reply.Data(), err)
	}
	// Invalid: named field, nothing stored, nothing published.
	for _, bad := range []string{`{"function":"payment","fault":"error","rate":3,"for":"1m"}`, `{"function":"ghost","fault":"error","for":"1m"}`, `{"fault":"error","for":"1m","colour":"red"}`} {
		_, err := svc.Handle(ctx, request("/faults", bad))
		if faas.ErrorName(err) != faas.ErrInvalidEvent || faas.ProblemFor(err).Field == "" {
			t.Fatalf("%s: %v", bad, err)
		}
	}
	// GET /faults lists.
	reply, err = svc.Handle(ctx, request("/faults", `{}`))
	var list []chaos.Fault
	if err != nil || json.Unmarshal(reply.Data(), &list) != nil || len(list) != 1 {
		t.Fatalf("list: %s %v", reply.Data(), err)
	}
	// POST /faults/clear clears and publishes.
	if _, err := svc.Handle(ctx, request("/faults/clear", `{"function":"payment"}`)); err != nil {
		t.Fatal(err)
	}
	if doc, _ := st.Load(ctx); len(doc.Faults) != 0 {
		t.Fatalf("not cleared: %+v", doc)
	}
	if len(bus.evs) != 2 || bus.evs[0].Type() != events.TypeChaosFaultInjected || bus.evs[1].Type() != events.TypeChaosFaultCleared {
		t.Fatalf("published %v", bus.evs)
	}
	for _, ev := range bus.evs {
		if err := catalog.Validate(ev); err != nil {
			t.Fatalf("%s does not validate: %v", ev.Type(), err)
		}
	}
}
