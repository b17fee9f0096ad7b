//go:build !unix

package ratelimit

import "time"

func processCPU() time.Duration { return 0 }
