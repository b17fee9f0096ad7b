//go:build !unix

package streams_test

import "time"

// processCPU is not measured off unix: the CPU metrics read zero.
func processCPU() time.Duration { return 0 }
