// Package snsnotify is the wiring-side SNS publisher for pkg/notify: it
// turns notify.SNSPublishInput into an SNS Publish call with the AWS SDK and
// classifies the SDK's errors as notify expects (throttling and server
// faults retryable, client faults such as AuthorizationError or NotFound
// permanent). pkg/notify itself links no AWS SDK; main passes
// snsnotify.New(sns.NewFromConfig(cfg)) in notify.Deps.SNS.
//
// The SDK retries throttling and server errors itself (three attempts by
// default) inside each notify attempt, which would hide failures from the
// Notifier's backoff and breaker and multiply its attempts; NewFromConfig
// builds a client that makes one request per Publish, so notify owns the
// retries.
//
// A Publisher is safe for concurrent use, as the SDK client is.
package snsnotify

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/cogniforge/cogniforge/pkg/notify"
)

// API is the part of *sns.Client a Publisher uses.
type API interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var (
	_ API                 = (*sns.Client)(nil)
	_ notify.SNSPublisher = (*Publisher)(nil)
)

// Publisher implements notify.SNSPublisher over the SDK.
type Publisher struct {
	api API
}

// New returns a Publisher calling api (an *sns.Client).
func New(api API) *Publisher { return &Publisher{api: api} }

// NewFromConfig returns a Publisher over an SNS client built from cfg with
// the SDK's own retries turned off (one request per Publish); the wiring
// calls it once at cold start.
func NewFromConfig(cfg aws.Config, optFns ...func(*sns.Options)) *Publisher {
	opts := append([]func(*sns.Options){func(o *sns.Options) { o.RetryMaxAttempts = 1 }}, optFns...)
	return New(sns.NewFromConfig(cfg, opts...))
}

// PublishInput converts in to the SDK's input.
func PublishInput(in notify.SNSPublishInput) *sns.PublishInput {
	out := &sns.PublishInput{
		TopicArn: aws.String(in.TopicARN),
		Message:  aws.String(in.Message),
	}
	if in.MessageStructure != "" {
		out.MessageStructure = aws.String(in.MessageStructure)
	}
	if in.Subject != "" {
		out.Subject = aws.String(in.Subject)
	}
	if in.MessageGroupID != "" {
		out.MessageGroupId = aws.String(in.MessageGroupID)
	}
	if in.MessageDeduplicationID != "" {
		out.MessageDeduplicationId = aws.String(in.MessageDeduplicationID)
	}
	for k, v := range in.Attributes {
		if v == "" {
			continue // SNS refuses empty attribute values
		}
		if out.MessageAttributes == nil {
			out.MessageAttributes = map[string]types.MessageAttributeValue{}
		}
		out.MessageAttributes[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	return out
}

// Publish publishes in and returns the SNS message id.
func (p *Publisher) Publish(ctx context.Context, in notify.SNSPublishInput) (string, error) {
	out, err := p.api.Publish(ctx, PublishInput(in))
	if err != nil {
		return "", Classify(err)
	}
	return aws.ToString(out.MessageId), nil
}

// throttled lists the SNS error codes that mean "slow down".
var throttled = map[string]bool{
	"Throttled": true, "ThrottlingException": true, "ThrottledException": true,
	"KMSThrottling": true, "RequestThrottled": true, "TooManyRequestsException": true,
}

// Classify marks an SDK error for notify: throttling and server faults are
// notify.Unavailable, other API errors (client faults: a bad ARN, missing
// permission, a deleted topic, an invalid message) notify.Rejected, and
// errors without an API code (network, timeouts) Unavailable.
func Classify(err error) error {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return notify.Unavailable(err, 0)
	}
	e := fmt.Errorf("sns: %s: %s", api.ErrorCode(), api.ErrorMessage())
	switch {
	case throttled[api.ErrorCode()], api.ErrorFault() == smithy.FaultServer:
		return notify.Unavailable(e, 0)
	}
	return notify.Rejected(e)
}
