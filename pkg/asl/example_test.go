package asl_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cogniforge/cogniforge/pkg/asl"
)

func Example() {
	sm, err := asl.Compile([]byte(`{
	  "StartAt": "Price",
	  "States": {
	    "Price": {
	      "Type": "Task",
	      "Resource": "arn:aws:states:::lambda:invoke",
	      "Parameters": {"FunctionName": "pricing", "Payload": {"sku.$": "$.sku"}},
	      "ResultSelector": {"price.$": "$.Payload.price"},
	      "ResultPath": "$.quote",
	      "Next": "Check"
	    },
	    "Check": {
	      "Type": "Choice",
	      "Choices": [{"Variable": "$.quote.price", "NumericLessThan": 100, "Next": "Accept"}],
	      "Default": "Reject"
	    },
	    "Accept": {"Type": "Succeed"},
	    "Reject": {"Type": "Fail", "Error": "TooExpensive"}
	  }
	}`))
	if err != nil {
		panic(err)
	}
	pricing := asl.TaskInvokerFunc(func(_ context.Context, req asl.TaskRequest) (any, error) {
		return map[string]any{"price": 42.0}, nil // req.FunctionName == "pricing"
	})
	_, res, err := sm.Run(context.Background(), asl.ExecutionConfig{
		Input:   map[string]any{"sku": "A-1"},
		Invoker: pricing,
		Clock:   asl.NewFastClock(time.Time{}),
	})
	if err != nil {
		panic(err)
	}
	// Objects keep their order: the input's keys, then what ResultPath added.
	fmt.Println(res.Status, res.Output)
	// Output: SUCCEEDED {"sku":"A-1","quote":{"price":42}}
}
