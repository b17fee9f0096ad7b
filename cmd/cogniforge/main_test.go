package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// restoreGC puts the collector settings back after a test changed them.
func restoreGC(t *testing.T) {
	t.Helper()
	pct := debug.SetGCPercent(100)
	debug.SetGCPercent(pct)
	limit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(pct)
		debug.SetMemoryLimit(limit)
	})
}

func TestOneShotGCCollectsOnlyPastTheHeapThenAsGOGC400(t *testing.T) {
	restoreGC(t)
	switched := applyOneShotGC()
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Errorf("GOGC = %d before the first collection, want off (-1)", got)
	}
	if got := debug.SetMemoryLimit(-1); got != oneShotHeap {
		t.Errorf("memory limit = %d, want %d", got, oneShotHeap)
	}
	runtime.GC() // what reaching the limit does
	select {
	case <-switched:
	case <-time.After(10 * time.Second):
		t.Fatal("the first collection did not switch to GOGC=400")
	}
	if got := debug.SetGCPercent(oneShotGCPercent); got != oneShotGCPercent {
		t.Errorf("GOGC = %d after the first collection, want %d", got, oneShotGCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("memory limit = %d after the first collection, want none", got)
	}
}

func TestOneShotGCLeavesEnvironmentSettings(t *testing.T) {
	restoreGC(t)
	debug.SetGCPercent(123)
	for _, env := range []map[string]string{{"GOGC": "50"}, {"GOMEMLIMIT": "1GiB"}} {
		oneShotGC(func(k string) string { return env[k] })
		if got := debug.SetGCPercent(123); got != 123 {
			t.Errorf("with %v: GOGC = %d, want it untouched (123)", env, got)
		}
	}
}
