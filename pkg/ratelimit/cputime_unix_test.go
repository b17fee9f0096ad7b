//go:build unix

package ratelimit

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process has used (user + system). On a
// shared machine, CPU time per op is what a benchmark can trust: wall time
// per op grows with every other process's load.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
