package eventstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// An account aggregate: two writers load it at the same version; the first
// append wins and the second gets the named conflict, loads again and
// retries. The global feed orders every event of every stream.
func Example() {
	ctx := context.Background()
	es, _ := eventstore.New(eventstore.Config{Store: memory.New(memory.Config{})})
	type account struct{ Balance int }
	acct := eventstore.Aggregate[account]{Events: es, SnapshotEvery: 100, Apply: func(a account, r eventstore.Record) (account, error) {
		var d struct{ Amount int }
		err := json.Unmarshal(r.Data, &d)
		a.Balance += d.Amount
		return a, err
	}}
	deposit := func(n int) func(account) ([]eventstore.Event, error) {
		return func(account) ([]eventstore.Event, error) {
			return []eventstore.Event{{Type: "deposited", Data: json.RawMessage(fmt.Sprintf(`{"amount":%d}`, n))}}, nil
		}
	}
	_, _ = acct.Execute(ctx, "acct-1", deposit(10))

	// Two writers at version 1.
	_, err1 := es.Append(ctx, eventstore.AppendRequest{Stream: "acct-1", Expected: 1, Events: []eventstore.Event{{Type: "deposited", Data: json.RawMessage(`{"amount":5}`)}}})
	_, err2 := es.Append(ctx, eventstore.AppendRequest{Stream: "acct-1", Expected: 1, Events: []eventstore.Event{{Type: "deposited", Data: json.RawMessage(`{"amount":7}`)}}})
	fmt.Println(err1, errors.Is(err2, eventstore.ErrConflict))
	// The loser reloads and retries.
	res, _ := acct.Execute(ctx, "acct-1", deposit(7))
	state, version, _ := acct.Load(ctx, "acct-1")
	fmt.Println(res.Version, version, state.Balance)

	feed, _ := es.ReadFeed(ctx, 0, 0)
	for _, r := range feed {
		fmt.Println(r.Position, r.Stream, r.Version, string(r.Data))
	}
	// Output:
	// <nil> true
	// 3 3 22
	// 1 acct-1 1 {"amount":10}
	// 2 acct-1 2 {"amount":5}
	// 3 acct-1 3 {"amount":7}
}
