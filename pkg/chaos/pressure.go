package chaos

import (
	"context"
	"sync/atomic"
	"time"
)

// hold allocates mb MiB and touches every page so the memory is resident,
// not just reserved.
func hold(mb int) []byte {
	buf := make([]byte, mb<<20)
	for k := 0; k < len(buf); k += 4096 {
		buf[k] = 1
	}
	return buf
}

// burn keeps one core busy for d (wall clock) or until ctx ends.
func burn(ctx context.Context, d time.Duration) {
	end := time.Now().Add(d)
	x := uint64(1)
	for n := 0; ; n++ {
		for k := 0; k < 1000; k++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
		if n%64 == 0 && (time.Now().After(end) || ctx.Err() != nil) {
			break
		}
	}
	sink.Store(x)
}

var sink atomic.Uint64 // keeps the loop from being optimised away
