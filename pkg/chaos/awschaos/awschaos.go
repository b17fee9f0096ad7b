// Package awschaos makes the AWS SDK (v2) calls of a function fail while an
// injected chaos deny fault names their service: Instrument adds an
// Initialize-step middleware to an aws.Config, so the denial comes before
// the SDK's retries and signing. "unavailable" fails at once with a
// ServiceUnavailable API error (a server fault, as AWS would answer);
// "partition" hangs like a dropped connection and fails with a
// chaos.PartitionError. Calls in a context without a fault pass untouched,
// at the cost of one context lookup.
package awschaos

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/cogniforge/cogniforge/pkg/chaos"
)

// MiddlewareID names the middleware in the SDK's stack.
const MiddlewareID = "cogniforge.chaos.Deny"

// Instrument adds the deny middleware to every client made from cfg.
func Instrument(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, AddMiddleware)
}

// AddMiddleware adds the deny middleware to one stack (an APIOptions entry).
func AddMiddleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc(MiddlewareID, deny), middleware.Before)
}

// UnavailableError is the API error of a call denied as unavailable.
type UnavailableError struct {
	smithy.GenericAPIError
	Denial chaos.Denial
}

// ErrorName names it for ASL Catch.
func (e *UnavailableError) ErrorName() string { return chaos.ErrUnavailable }

func deny(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	service := awsmiddleware.GetServiceID(ctx)
	d, ok := chaos.DeniedService(ctx, service)
	if !ok {
		return next.HandleInitialize(ctx, in)
	}
	if d.Mode == chaos.DenyPartition {
		return middleware.InitializeOutput{}, middleware.Metadata{}, chaos.Partition(ctx, d)
	}
	return middleware.InitializeOutput{}, middleware.Metadata{}, &UnavailableError{
		GenericAPIError: smithy.GenericAPIError{
			Code:    "ServiceUnavailable",
			Message: fmt.Sprintf("%s: %s %s denied by chaos fault %s", chaos.ErrUnavailable, service, awsmiddleware.GetOperationName(ctx), d.Fault),
			Fault:   smithy.FaultServer,
		},
		Denial: d,
	}
}
