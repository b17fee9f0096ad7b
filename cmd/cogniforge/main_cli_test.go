package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
)

// asCLIEnv, set to 1, makes this test binary the CLI: tests that need a
// process of their own (to measure its memory) run it so instead of
// building the command. With peakFileEnv set too, the process writes its
// peak resident set (bytes) to that file as it exits.
const (
	asCLIEnv    = "COGNIFORGE_TEST_AS_CLI"
	peakFileEnv = "COGNIFORGE_TEST_PEAK_FILE"
)

func TestMain(m *testing.M) {
	if os.Getenv(asCLIEnv) == "1" {
		code := dispatch(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		if f := os.Getenv(peakFileEnv); f != "" {
			if peak, ok := selfPeakRSS(); ok {
				_ = os.WriteFile(f, []byte(strconv.FormatInt(peak, 10)), 0o600)
			}
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// selfPeakRSS reads this process's peak resident set from /proc (Linux).
// The exit status's ru_maxrss would not do: a child started by vfork, as
// Go starts them, inherits the parent's peak, which is the test binary's.
func selfPeakRSS() (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
