//go:build !unix

package slo

import "time"

// processCPU is not measured here; the per-core rates are left out.
func processCPU() time.Duration { return 0 }
