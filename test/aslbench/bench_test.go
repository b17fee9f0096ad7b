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

// tally sums whole-process runs for the metrics.
type tally struct {
	runs      int
	wall, cpu time.Duration
	phases    runTimings
}

func (t *tally) add(r procRun) {
	t.runs++
	t.wall += r.Wall
	t.cpu += r.CPU
	t.phases.ImportMs += r.Phases.ImportMs
	t.phases.ConstructMs += r.Phases.ConstructMs
	t.phases.RunMs += r.Phases.RunMs
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// report prints ms/run (wall, exec to exit), cpu-ms/run (user+system time of
// the process, which the load of a shared machine inflates far less) and
// transitions/s (chainStates over the wall time).
func (t *tally) report(b *testing.B, prefix string) {
	n := float64(t.runs)
	b.ReportMetric(ms(t.wall)/n, prefix+"ms/run")
	b.ReportMetric(ms(t.cpu)/n, prefix+"cpu-ms/run")
	if prefix == "" {
		b.ReportMetric(chainStates/(ms(t.wall)/n/1000), "transitions/s")
	}
}

// reportPhases prints runner.mjs's own split of a reference run.
func (t *tally) reportPhases(b *testing.B) {
	n := float64(t.runs)
	b.ReportMetric(t.phases.ImportMs/n, "import-ms/run")
	b.ReportMetric(t.phases.ConstructMs/n, "construct-ms/run")
	b.ReportMetric(t.phases.RunMs/n, "exec-ms/run")
	// The interpreter's own rate once loaded, the 50,000-85,000/s the issue
	// quotes.
	b.ReportMetric(chainStates/(t.phases.RunMs/n/1000), "loaded-transitions/s")
}

// BenchmarkChain20kWholeProcess runs a 20,000-state Pass chain as a whole
// process, each iteration one execution from exec to exit, and fails unless
// every run returns the chain's expected output:
//
//   - cogniforge: `cogniforge sfn run --fast-clock` (AWS's size and history
//     limits lifted, see runCogniforge);
//   - aws-local-stepfunctions: node runner.mjs, the package at its fastest
//     (no definition validation), with its phases as metrics;
//   - side-by-side: both in one iteration, cogniforge, reference, reference,
//     cogniforge, so the machine's noise hits both alike. x-faster is the
//     reference's wall time over cogniforge's, x-faster-cpu the same for
//     CPU time: the ratios to quote (medians over -count runs);
//   - cogniforge-GOGC=off: a diagnostic, cogniforge with the collector off,
//     to size what garbage collection costs a one-shot run.
func BenchmarkChain20kWholeProcess(b *testing.B) {
	ref := requireReference(b)
	c, def, input := chainFiles(b, chainStates)

	runCF := func(b *testing.B, env ...string) procRun {
		r, err := runCogniforge(def, input, env...)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.CheckOutput(r.Output); err != nil {
			b.Fatalf("cogniforge: %v", err)
		}
		return r
	}
	runRef := func(b *testing.B) procRun {
		r, err := ref.run(def, input, false)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.CheckOutput(r.Output); err != nil {
			b.Fatalf("aws-local-stepfunctions: %v", err)
		}
		return r
	}

	b.Run("cogniforge", func(b *testing.B) {
		var t tally
		for b.Loop() {
			t.add(runCF(b))
		}
		t.report(b, "")
	})

	b.Run("aws-local-stepfunctions", func(b *testing.B) {
		var t tally
		for b.Loop() {
			t.add(runRef(b))
		}
		t.report(b, "")
		t.reportPhases(b)
	})

	b.Run("side-by-side", func(b *testing.B) {
		var cf, rf tally
		for b.Loop() {
			cf.add(runCF(b))
			rf.add(runRef(b))
			rf.add(runRef(b))
			cf.add(runCF(b))
		}
		cf.report(b, "cogniforge-")
		rf.report(b, "reference-")
		b.ReportMetric(float64(rf.wall)/float64(cf.wall), "x-faster")
		b.ReportMetric(float64(rf.cpu)/float64(cf.cpu), "x-faster-cpu")
	})

	b.Run("cogniforge-GOGC=off", func(b *testing.B) {
		var t tally
		for b.Loop() {
			t.add(runCF(b, "GOGC=off"))
		}
		t.report(b, "")
	})
}

// BenchmarkChain20kStartupFloor runs a 1-state chain as a whole process:
// the fixed cost (exec, runtime and package initialisation, for node also
// importing the package) that every BenchmarkChain20kWholeProcess run
// includes.
func BenchmarkChain20kStartupFloor(b *testing.B) {
	ref := requireReference(b)
	c, def, input := chainFiles(b, 1)
	b.Run("cogniforge", func(b *testing.B) {
		var t tally
		for b.Loop() {
			r, err := runCogniforge(def, input)
			if err != nil {
				b.Fatal(err)
			}
			if err := c.CheckOutput(r.Output); err != nil {
				b.Fatal(err)
			}
			t.add(r)
		}
		t.report(b, "floor-")
	})
	b.Run("aws-local-stepfunctions", func(b *testing.B) {
		var t tally
		for b.Loop() {
			r, err := ref.run(def, input, false)
			if err != nil {
				b.Fatal(err)
			}
			if err := c.CheckOutput(r.Output); err != nil {
				b.Fatal(err)
			}
			t.add(r)
		}
		t.report(b, "floor-")
		b.ReportMetric(t.phases.ImportMs/float64(t.runs), "import-ms/run")
	})
}

// BenchmarkChain20kReferenceValidating is aws-local-stepfunctions with its
// default options, which validate the definition with asl-validator before
// running: on this chain that costs several times the run. It is not the
// bar (BenchmarkChain20kWholeProcess compares with the package at its
// fastest) but says what a user of the package's defaults waits.
func BenchmarkChain20kReferenceValidating(b *testing.B) {
	ref := requireReference(b)
	c, def, input := chainFiles(b, chainStates)
	var t tally
	for b.Loop() {
		r, err := ref.run(def, input, true)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.CheckOutput(r.Output); err != nil {
			b.Fatalf("aws-local-stepfunctions: %v", err)
		}
		t.add(r)
	}
	t.report(b, "")
	t.reportPhases(b)
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
	// decode is the part of compile that json.Unmarshal of the definition
	// into an any tree costs, the floor of compiling from such a tree.
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var doc any
			if err := json.Unmarshal(c.Definition, &doc); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(ms(b.Elapsed())/float64(b.N), "ms/decode")
	})
	b.Run("compile", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := asl.Compile(c.Definition); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(ms(b.Elapsed())/float64(b.N), "ms/compile")
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
		perRun := ms(b.Elapsed()) / float64(b.N)
		b.StopTimer()
		_, res, _ := sm.Run(ctx, asl.ExecutionConfig{Input: in, Clock: asl.NewFastClock(benchEpoch)})
		out, err := json.Marshal(res.Output)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.CheckOutput(out); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(perRun, "ms/run")
		b.ReportMetric(chainStates/(perRun/1000), "transitions/s")
	})
}
