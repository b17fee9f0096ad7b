//go:build !unix

package asl

import "time"

func cpuTime() time.Duration { return 0 }
