//go:build unix

package asl

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user+system) the process has used, so benchmarks
// can report per-core cost even when the machine is shared.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
