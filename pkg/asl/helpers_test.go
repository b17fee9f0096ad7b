package asl

import (
	"encoding/json"
	"time"
)

var benchStart = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
