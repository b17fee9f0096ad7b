package dlq_test

import (
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/dlq"
)

func ExampleClassify() {
	m := dlq.Message{ID: "m-1", ErrorType: "CogniForge.InvalidEvent", Error: "data.durationMs: must be >= 0"}
	dlq.Classify(&m, nil)
	fmt.Println(m.Poison, m.PoisonReason)
	// Output: true CogniForge.InvalidEvent: retrying cannot cure it (data.durationMs: must be >= 0)
}
