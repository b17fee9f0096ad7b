package streams_test

import (
	"context"
	"fmt"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus/bustest"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/pkg/streams"
)

func Example() {
	ctx := context.Background()
	arch, _ := streams.NewArchive(memory.New(memory.Config{}), streams.DefaultConfig(), nil)
	bus := &bustest.Recorder{}
	archiver, _ := streams.NewArchiver(streams.ArchiverConfig{Next: bus, Archive: arch})
	go archiver.Run(ctx)

	e := cloudevents.NewEvent()
	e.SetID("e-1")
	e.SetSource("//checkout")
	e.SetType("dev.cogniforge.request.completed.v1")
	_, _ = archiver.Publish(ctx, []cloudevents.Event{e})
	_ = archiver.Close(ctx)

	res, _ := arch.Query(ctx, streams.Filter{Streams: []string{"api"}})
	fmt.Println(len(res.Records), res.Records[0].Stream, res.Records[0].Event.ID())

	replayed := &bustest.Recorder{}
	rep, _ := arch.Replay(ctx, streams.ReplayRequest{ID: "replay-1", Filter: streams.Filter{Streams: []string{"api"}}}, replayed)
	out := replayed.Events()[0]
	fmt.Println(rep.Delivered, out.ID(), out.Extensions()["replayed"], out.Extensions()["replayid"])
	// Output:
	// 1 api e-1
	// 1 e-1 true replay-1
}

// Scan streams an archive, oldest first, a batch at a time: what a rebuild
// of a read model reads, whatever the archive's size.
func ExampleArchive_Scan() {
	ctx := context.Background()
	arch, _ := streams.NewArchive(memory.New(memory.Config{}), streams.DefaultConfig(), nil)
	var recs []streams.Record
	for i := range 5 {
		e := cloudevents.NewEvent()
		e.SetID(fmt.Sprint("e-", i))
		e.SetSource("//checkout")
		e.SetType("dev.cogniforge.request.completed.v1")
		recs = append(recs, streams.Record{Stream: "api", ArchivedAt: time.Now().Add(time.Duration(i-5) * time.Second), Seq: uint64(i), Event: e})
	}
	_ = arch.Write(ctx, recs)
	rep, _ := arch.Scan(ctx, streams.Filter{}, streams.ScanOptions{Batch: 2}, func(batch []streams.Record) (bool, error) {
		for _, r := range batch {
			fmt.Print(r.Event.ID(), " ")
		}
		return true, nil
	})
	fmt.Println("/", rep.Records)
	// Output:
	// e-0 e-1 e-2 e-3 e-4 / 5
}
