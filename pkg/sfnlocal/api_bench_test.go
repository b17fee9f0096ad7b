package sfnlocal

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// BenchmarkStartSyncExecution: one express Pass machine run per op through
// the SDK client and the HTTP handler (request signing, JSON both ways).
func BenchmarkStartSyncExecution(b *testing.B) {
	h := newHarness(b, memory.New(memory.Config{}), nil)
	arn := h.create(b, "bench", passDef, types.StateMachineTypeExpress)
	ctx := context.Background()
	in := &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"n":1}`)}
	b.ReportAllocs()
	for b.Loop() {
		out, err := h.client.StartSyncExecution(ctx, in)
		if err != nil || out.Status != types.SyncExecutionStatusSucceeded {
			b.Fatal(out, err)
		}
	}
}

// BenchmarkStartExecutionBolt: an async standard execution per op on a
// durable bolt store, waited for through DescribeExecution, so it counts
// the start and end writes (each an fsync).
func BenchmarkStartExecutionBolt(b *testing.B) {
	st := openBolt(b, b.TempDir())
	b.Cleanup(func() { st.Close() })
	h := newHarness(b, st, nil)
	arn := h.create(b, "bench", passDef, "")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := h.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"n":1}`)})
		if err != nil {
			b.Fatal(err)
		}
		h.svc.mu.Lock()
		r := h.svc.running[*out.ExecutionArn]
		h.svc.mu.Unlock()
		if r != nil {
			<-r.persisted
		}
	}
}

// BenchmarkStartExecutionBoltGroupParallel: concurrent callers on a bolt
// store with group commit, as `cogniforge run --data-dir` opens it, so
// concurrent executions share fsyncs.
func BenchmarkStartExecutionBoltGroupParallel(b *testing.B) {
	st, err := bolt.Open(bolt.Config{Dir: b.TempDir(), GroupCommit: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	h := newHarness(b, st, nil)
	arn := h.create(b, "bench", passDef, "")
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			out, err := h.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"n":1}`)})
			if err != nil {
				b.Error(err)
				return
			}
			h.svc.mu.Lock()
			r := h.svc.running[*out.ExecutionArn]
			h.svc.mu.Unlock()
			if r != nil {
				<-r.persisted
			}
		}
	})
}
