package gcf_test

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/gcf"
)

// A Cloud Run function's main: serve the function on $PORT until the platform
// sends SIGTERM. Start serves until ctx ends, so this example is compiled but
// not run (it has no Output).
func Example() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fn := faas.Function{
		Name:     "audit",
		Consumes: []string{"google.cloud.pubsub.topic.v1.messagePublished"},
		Handler: func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			fmt.Println("audited", ev.ID())
			return nil, nil
		},
	}
	if err := gcf.Start(ctx, fn, cmp.Or(os.Getenv("PORT"), "8080")); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}
