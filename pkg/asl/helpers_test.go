package asl

import (
	"time"
)

var benchStart = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
