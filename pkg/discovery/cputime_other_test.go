//go:build !unix

package discovery_test

import "time"

// processCPU is unknown here; cpu-ns/op is then not reported.
func processCPU() time.Duration { return 0 }
