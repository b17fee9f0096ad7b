package awsresilience_test

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/smithy-go"

	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/resilience/awsresilience"
)

// A client whose every operation goes through the event bus's policy, with
// the SDK's own retries off; the SDK's errors as the policy judges them.
func Example() {
	p, err := resilience.NewPolicy(resilience.PolicyConfig{Name: "event-bus", Idempotent: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := aws.Config{Region: "us-east-1"}
	_ = eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) {
		o.Retryer = awsresilience.Retryer()
		o.APIOptions = append(o.APIOptions, awsresilience.Middleware(p))
	})
	for _, code := range []string{"ThrottlingException", "ValidationException"} {
		err := awsresilience.Classify(&smithy.GenericAPIError{Code: code, Fault: smithy.FaultClient})
		fmt.Println(code, "retried:", resilience.Retryable(err))
	}
	// Output:
	// ThrottlingException retried: true
	// ValidationException retried: false
}
