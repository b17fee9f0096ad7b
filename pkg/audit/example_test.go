package audit_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cogniforge/cogniforge/pkg/audit"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// A record stored with no bus (the CLI) is listed back, never with a value.
func Example() {
	ctx := context.Background()
	st := memory.New(memory.Config{})
	at := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	rc := &audit.Recorder{Store: st, Now: func() time.Time { return at }}
	_ = rc.Record(ctx, audit.Record{Who: "cli:ops", What: "secret.rollback", SecretID: "orders-db"})
	recs, _ := audit.List(ctx, st, audit.Filter{Secret: "orders-db"})
	fmt.Println(recs[0].Who, recs[0].What, recs[0].When, recs[0].Outcome)
	// Output: cli:ops secret.rollback 2026-11-23T14:00:00Z succeeded
}
