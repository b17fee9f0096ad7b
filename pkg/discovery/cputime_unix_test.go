//go:build unix

package discovery_test

import (
	"syscall"
	"time"
)

// processCPU is the process's CPU time, user and system. On a shared
// machine a benchmark's wall time per op includes waiting for a core;
// cpu-ns/op divides this instead.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
