// Package awsresilience sends aws-sdk-go-v2 calls through a
// resilience.Policy: an Initialize-step middleware that wraps each
// operation (its serialisation, signing and sending) in resilience.Do, so
// the policy's timeout, retries, shared breaker and bulkhead govern AWS
// calls as they govern any other.
//
// The SDK's own retryer would retry inside each of the policy's attempts:
// give the client Retryer() (no SDK retries) so retries are the policy's
// alone, counted in its budget and bounded by the invocation's deadline.
// Errors are judged with the SDK's own tables (retry.DefaultRetryables,
// retry.DefaultThrottles): retryable and throttling errors are retried,
// the others (a validation error, a missing resource) are permanent: not
// retried, not a breaker failure. The middleware sits after the SDK's
// idempotency-token middleware, so every attempt of an operation carries
// the same token.
package awsresilience

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"

	"github.com/cogniforge/cogniforge/pkg/resilience"
)

// ID is the middleware's id in the stack.
const ID = "CogniForgeResilience"

// Middleware returns a stack option for a client's Options.APIOptions (or
// aws.Config.APIOptions) that sends every operation through p.
func Middleware(p *resilience.Policy) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc(ID, func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			type result struct {
				out middleware.InitializeOutput
				md  middleware.Metadata
			}
			r, err := resilience.Do(ctx, p, func(ctx context.Context) (result, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				return result{out, md}, Classify(err)
			})
			return r.out, r.md, err
		}), middleware.After)
	}
}

// Retryer is the SDK retryer to give a client whose calls go through
// Middleware: none, so the policy alone retries.
func Retryer() aws.Retryer { return aws.NopRetryer{} }

var (
	retryables = retry.IsErrorRetryables(retry.DefaultRetryables)
	throttles  = retry.IsErrorThrottles(retry.DefaultThrottles)
)

// Classify marks an SDK error as the policies read it: permanent when the
// SDK would not retry it, as it is otherwise (throttling and retryable
// errors are retried by resilience.Retryable's default).
func Classify(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err // the policy judges its own deadlines
	}
	if throttles.IsErrorThrottle(err) == aws.TrueTernary || retryables.IsErrorRetryable(err) == aws.TrueTernary {
		return err
	}
	if resilience.IsThrottle(err) {
		return err
	}
	return resilience.Permanent(err)
}
