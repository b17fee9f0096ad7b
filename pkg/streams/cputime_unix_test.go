//go:build unix

package streams_test

import (
	"syscall"
	"time"
)

// processCPU is the process's CPU time, user and system, so a benchmark on
// a shared machine can count the work done rather than the wait for a CPU.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
