package aslbench_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/test/aslbench"
)

// chainStates is the length of the benchmarked chain, as in the issue that
// asked for the comparison.
const chainStates = 20000

// benchEpoch starts the virtual clocks, so runs do not depend on the date.
var benchEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// chainFiles generates the chain and writes it into a temporary directory.
func chainFiles(b *testing.B, n int) (c *aslbench.Chain, def, input string) {
	b.Helper()
	c, err := aslbench.GenerateChain(n)
	if err != nil {
		b.Fatal(err)
	}
	def, input, err = c.WriteFiles(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	return c, def, input
}

// BenchmarkChain20kWholeProcess runs a 20,000-state Pass chain as a whole
// process, each iteration one execution from exec to exit, and fails unless
// every run returns the chain's expected output:
//
//   - cogniforge: `cogniforge sfn run --fast-clock`;
//   - aws-local-stepfunctions: node runner.mjs (package import, definition
//     validation and the run, each also reported as a metric);
//   - side-by-side: both in one iteration, cogniforge then the reference
//     and then the other way round, so machine noise hits both alike;
//     x-faster is the reference's wall time over cogniforge's in that
//     iteration (the ratio to quote; take the median over -count runs).
//
// ms/run is wall time per whole process; transitions/s is chainStates over
// it.
func BenchmarkChain20kWholeProcess(b *testing.B) {
	ref := requireReference(b)
	c, def, input := chainFiles(b, chainStates)

	runCF := func(b *testing.B) time.Duration {
		out, d, err := runCogniforge(def, input)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.CheckOutput(out); err != nil {
			b.Fatalf("cogniforge: %v", err)
		}
		return d
	}
	runRef := func(b *testing.B) (time.Duration, runTimings) {
		out, phases, d, err := ref.run(def, input)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.CheckOutput(out); err != nil {
			b.Fatalf("aws-local-stepfunctions: %v", err)
		}
		return d, phases
	}
	perRun := func(b *testing.B, total time.Duration, runs int) float64 {
		ms := float64(total) / float64(time.Millisecond) / float64(runs)
		b.ReportMetric(ms, "ms/run")
		b.ReportMetric(float64(chainStates)/(ms/1000), "transitions/s")
		return ms
	}

	b.Run("cogniforge", func(b *testing.B) {
		var total time.Duration
		runs := 0
		for b.Loop() {
			total += runCF(b)
			runs++
		}
		perRun(b, total, runs)
	})

	b.Run("aws-local-stepfunctions", func(b *testing.B) {
		var total time.Duration
		var sum runTimings
		runs := 0
		for b.Loop() {
			d, phases := runRef(b)
			total += d
			sum.ImportMs += phases.ImportMs
			sum.ConstructMs += phases.ConstructMs
			sum.RunMs += phases.RunMs
			runs++
		}
		perRun(b, total, runs)
		n := float64(runs)
		b.ReportMetric(sum.ImportMs/n, "import-ms/run")
		b.ReportMetric(sum.ConstructMs/n, "validate-ms/run")
		b.ReportMetric(sum.RunMs/n, "exec-ms/run")
		// The interpreter's own rate once loaded and validated, the
		// 50,000-85,000/s the issue quotes.
		b.ReportMetric(float64(chainStates)/(sum.RunMs/n/1000), "loaded-transitions/s")
	})

	b.Run("side-by-side", func(b *testing.B) {
		var cf, rf time.Duration
		for b.Loop() {
			// Alternate the order inside the iteration: cogniforge,
			// reference, reference, cogniforge.
			cf += runCF(b)
			d, _ := runRef(b)
			rf += d
			d, _ = runRef(b)
			rf += d
			cf += runCF(b)
		}
		runs := float64(2 * b.N)
		b.ReportMetric(float64(cf)/float64(time.Millisecond)/runs, "cogniforge-ms/run")
		b.ReportMetric(float64(rf)/float64(time.Millisecond)/runs, "reference-ms/run")
		b.ReportMetric(float64(rf)/float64(cf), "x-faster")
	})
}

// BenchmarkChain20kInProcess splits cogniforge's whole-process time: the
// definition's compilation (JSON decode and checks) and the execution, both
// in this process through pkg/asl, as `sfn run` does them after start-up.
// What the whole-process benchmark measures beyond their sum is process
// start, package initialisation, reading the files and printing the output.
func BenchmarkChain20kInProcess(b *testing.B) {
	c, err := aslbench.GenerateChain(chainStates)
	if err != nil {
		b.Fatal(err)
	}
	var in any
	if err := json.Unmarshal(c.Input, &in); err != nil {
		b.Fatal(err)
	}
	b.Run("compile", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := asl.Compile(c.Definition); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed())/float64(time.Millisecond)/float64(b.N), "ms/compile")
	})
	b.Run("execute", func(b *testing.B) {
		sm, err := asl.Compile(c.Definition)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			_, res, err := sm.Run(ctx, asl.ExecutionConfig{Input: in, Clock: asl.NewFastClock(benchEpoch)})
			if err != nil || res.Status != asl.StatusSucceeded {
				b.Fatal(err, res)
			}
		}
		b.StopTimer()
		_, res, _ := sm.Run(ctx, asl.ExecutionConfig{Input: in, Clock: asl.NewFastClock(benchEpoch)})
		out, err := json.Marshal(res.Output)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.CheckOutput(out); err != nil {
			b.Fatal(err)
		}
		ms := float64(b.Elapsed()) / float64(time.Millisecond) / float64(b.N)
		b.ReportMetric(ms, "ms/run")
		b.ReportMetric(float64(chainStates)/(ms/1000), "transitions/s")
	})
}
