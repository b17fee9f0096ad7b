package asl

import (
	"context"

	"fmt"
	"strings"
	"testing"
)

// passChain builds n Pass states, each with Parameters and a ResultPath.
func passChain(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"StartAt":"S0","States":{`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"S%d":{"Type":"Pass","Parameters":{"n.$":"$.n","step":%d},"ResultPath":"$.last",`, i, i)
		if i == n-1 {
			b.WriteString(`"End":true}`)
		} else {
			fmt.Fprintf(&b, `"Next":"S%d"}`, i+1)
		}
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

func BenchmarkPassChain1000(b *testing.B) {
	sm, err := Compile(passChain(1000))
	if err != nil {
		b.Fatal(err)
	}
	input := map[string]any{"n": 1.0, "keep": "x"}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		_, res, err := sm.Run(ctx, ExecutionConfig{Input: input, Clock: NewFastClock(benchStart)})
		if err != nil || res.Status != StatusSucceeded {
			b.Fatal(err, res)
		}
	}
	// ns/transition is wall time; cpu-ns/transition is the CPU the process
	// used (GC included), which stays meaningful on a busy machine.
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/transition")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*1000), "cpu-ns/transition")
	}
}

func BenchmarkMap10000(b *testing.B) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":40,"ItemsPath":"$.items",
		"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"Parameters":{"FunctionName":"echo","Payload.$":"$"},"OutputPath":"$.Payload","End":true}}},"End":true}}}`
	sm, err := Compile([]byte(def))
	if err != nil {
		b.Fatal(err)
	}
	items := make([]any, 10000)
	for i := range items {
		items[i] = map[string]any{"i": float64(i)}
	}
	inv := TaskInvokerFunc(func(_ context.Context, req TaskRequest) (any, error) { return req.Input, nil })
	b.ReportAllocs()
	for b.Loop() {
		_, res, err := sm.Run(context.Background(), ExecutionConfig{Input: map[string]any{"items": items}, Invoker: inv})
		if err != nil || res.Status != StatusSucceeded {
			b.Fatal(err, res)
		}
		if n := len(res.Output.([]any)); n != 10000 {
			b.Fatal(n)
		}
	}
}

// chainDefinition builds the shape of test/aslbench's chain: n Pass states
// with a four-field Parameters template (two paths, two constants) writing
// alternately at $.r and the nested $.n.r.
func chainDefinition(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"Comment":"chain","StartAt":"S0","States":{`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		rp := "$.r"
		if i%2 == 1 {
			rp = "$.n.r"
		}
		fmt.Fprintf(&b, `"S%d":{"Type":"Pass","Parameters":{"x.$":"$.x","i":%d,"prev.$":"$.r.i","k":"constant-S%d"},"ResultPath":%q,`, i, i, i, rp)
		if i == n-1 {
			b.WriteString(`"End":true}`)
		} else {
			fmt.Fprintf(&b, `"Next":"S%d"}`, i+1)
		}
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

// BenchmarkCompileChain20k is the compile half of `sfn run` on the
// 20,000-state chain test/aslbench races against aws-local-stepfunctions.
func BenchmarkCompileChain20k(b *testing.B) {
	def := chainDefinition(20000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(def); err != nil {
			b.Fatal(err)
		}
	}
}

// smallDefinition is a typical hand-written machine: a Choice, a Task with
// Retry and Catch, a Map with an ItemSelector, a Parallel and a Fail.
const smallDefinition = `{"Comment":"order flow","StartAt":"Check","States":{
 "Check":{"Type":"Choice","Choices":[{"Variable":"$.order.total","NumericGreaterThan":100,"Next":"Charge"},
  {"And":[{"Variable":"$.order.vip","BooleanEquals":true},{"Variable":"$.order.total","NumericGreaterThan":0}],"Next":"Charge"}],"Default":"Reject"},
 "Charge":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"charge","Payload.$":"$.order"},
  "ResultSelector":{"id.$":"$.Payload.id"},"ResultPath":"$.charge","Retry":[{"ErrorEquals":["States.Timeout"],"MaxAttempts":2}],
  "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Reject"}],"Next":"Ship"},
 "Ship":{"Type":"Map","ItemsPath":"$.order.lines","ItemSelector":{"sku.$":"$$.Map.Item.Value.sku","n.$":"States.MathAdd($$.Map.Item.Index, 1)"},
  "ItemProcessor":{"StartAt":"Pack","States":{"Pack":{"Type":"Pass","End":true}}},"ResultPath":"$.shipped","Next":"Notify"},
 "Notify":{"Type":"Parallel","Branches":[{"StartAt":"Mail","States":{"Mail":{"Type":"Pass","Result":"sent","End":true}}},
  {"StartAt":"Wait","States":{"Wait":{"Type":"Wait","Seconds":1,"End":true}}}],"ResultPath":null,"End":true},
 "Reject":{"Type":"Fail","Error":"Rejected","CausePath":"$.reason"}}}`

// BenchmarkCompileSmall is the compile of a typical small definition: the
// fixed costs of Compile (decoder tables, maps) must stay small.
func BenchmarkCompileSmall(b *testing.B) {
	def := []byte(smallDefinition)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(def); err != nil {
			b.Fatal(err)
		}
	}
}
