//go:build unix

package slo

import (
	"syscall"
	"time"
)

// processCPU is the CPU time of the whole process, user and system: the
// per-core rates divide by it, so time spent waiting for a CPU on a shared
// machine does not count, and the garbage collector's work on other
// threads does.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
