// Package ebstreams replays a stream's EventBridge archive: the AWS side of
// `cogniforge events replay --aws`. Each stream is an EventBridge archive
// named <prefix>-<stream> on the platform's bus (infra/streams.tf);
// StartReplay re-delivers its events of a time range to the same bus,
// optionally only to some rules (a function's queue rule for
// --to-function). EventBridge marks each replayed event with "replay-name"
// in its envelope; the CloudEvent in its detail keeps its id, so consumers
// using pkg/idempotency do nothing twice.
//
// A Replayer is safe for concurrent use.
package ebstreams

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/cogniforge/cogniforge/pkg/streams"
)

// API is the part of the EventBridge client a Replayer uses;
// *eventbridge.Client implements it.
type API interface {
	DescribeArchive(ctx context.Context, in *awseb.DescribeArchiveInput, optFns ...func(*awseb.Options)) (*awseb.DescribeArchiveOutput, error)
	DescribeRule(ctx context.Context, in *awseb.DescribeRuleInput, optFns ...func(*awseb.Options)) (*awseb.DescribeRuleOutput, error)
	StartReplay(ctx context.Context, in *awseb.StartReplayInput, optFns ...func(*awseb.Options)) (*awseb.StartReplayOutput, error)
	DescribeReplay(ctx context.Context, in *awseb.DescribeReplayInput, optFns ...func(*awseb.Options)) (*awseb.DescribeReplayOutput, error)
}

// Replayer starts and follows EventBridge replays.
type Replayer struct {
	client API
	prefix string
	poll   time.Duration
}

// Config configures a Replayer.
type Config struct {
	Client API // required
	// Prefix is the deployment's name prefix; the stream S is the archive
	// <Prefix>-S. Empty means "cogniforge".
	Prefix string
	// PollInterval is how often a replay's state is read. Zero means 2s.
	PollInterval time.Duration
}

// New returns a Replayer.
func New(cfg Config) (*Replayer, error) {
	if cfg.Client == nil {
		return nil, errors.New("ebstreams: Config.Client is required")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "cogniforge"
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 2 * time.Second
	}
	return &Replayer{client: cfg.Client, prefix: cfg.Prefix, poll: cfg.PollInterval}, nil
}

// ArchiveName is the EventBridge archive of a stream.
func (r *Replayer) ArchiveName(stream string) string { return r.prefix + "-" + stream }

// Request is one replay.
type Request struct {
	// Name of the replay (unique in the account and region). Required.
	Name   string
	Stream string
	// From (inclusive) and To bound the events' archive time. Required.
	From, To time.Time
	// Rules, when set, restrict delivery to these rules of the bus (by
	// name); empty means every rule.
	Rules []string
}

// Result is a finished (or failed) replay.
type Result struct {
	Name   string `json:"replayName"`
	ARN    string `json:"replayArn"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// ErrUnknownRule is a rule (target function) the bus does not have.
var ErrUnknownRule = errors.New("ebstreams: unknown rule")

// Replay starts the replay and waits until it ends or ctx does. Bad input
// (an inverted range, a stream without an archive, an unknown rule) is an
// error wrapping streams.ErrInvertedRange, streams.ErrUnknownStream or
// ErrUnknownRule, before anything starts.
func (r *Replayer) Replay(ctx context.Context, req Request) (Result, error) {
	if req.From.IsZero() || req.To.IsZero() || !req.From.Before(req.To) {
		return Result{}, fmt.Errorf("%w: an EventBridge replay needs --from before --to (got %s, %s)", streams.ErrInvertedRange,
			req.From.Format(time.RFC3339), req.To.Format(time.RFC3339))
	}
	arch, err := r.client.DescribeArchive(ctx, &awseb.DescribeArchiveInput{ArchiveName: aws.String(r.ArchiveName(req.Stream))})
	if err != nil {
		var nf *ebtypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return Result{}, fmt.Errorf("%w %q: no EventBridge archive %s", streams.ErrUnknownStream, req.Stream, r.ArchiveName(req.Stream))
		}
		return Result{}, fmt.Errorf("ebstreams: describe archive %s: %w", r.ArchiveName(req.Stream), err)
	}
	busARN := aws.ToString(arch.EventSourceArn)
	busName := lastSegment(busARN)
	dest := &ebtypes.ReplayDestination{Arn: aws.String(busARN)}
	for _, rule := range req.Rules {
		out, err := r.client.DescribeRule(ctx, &awseb.DescribeRuleInput{Name: aws.String(rule), EventBusName: aws.String(busName)})
		if err != nil {
			var nf *ebtypes.ResourceNotFoundException
			if errors.As(err, &nf) {
				return Result{}, fmt.Errorf("%w %q on bus %s", ErrUnknownRule, rule, busName)
			}
			return Result{}, fmt.Errorf("ebstreams: describe rule %s: %w", rule, err)
		}
		dest.FilterArns = append(dest.FilterArns, aws.ToString(out.Arn))
	}
	started, err := r.client.StartReplay(ctx, &awseb.StartReplayInput{ReplayName: aws.String(req.Name),
		EventSourceArn: arch.ArchiveArn, EventStartTime: aws.Time(req.From), EventEndTime: aws.Time(req.To), Destination: dest,
		Description: aws.String("cogniforge events replay --stream " + req.Stream)})
	if err != nil {
		return Result{}, fmt.Errorf("ebstreams: start replay %s: %w", req.Name, err)
	}
	res := Result{Name: req.Name, ARN: aws.ToString(started.ReplayArn), State: string(started.State)}
	for {
		d, err := r.client.DescribeReplay(ctx, &awseb.DescribeReplayInput{ReplayName: aws.String(req.Name)})
		if err != nil {
			return res, fmt.Errorf("ebstreams: describe replay %s: %w", req.Name, err)
		}
		res.State, res.Reason = string(d.State), aws.ToString(d.StateReason)
		switch d.State {
		case ebtypes.ReplayStateCompleted, ebtypes.ReplayStateFailed, ebtypes.ReplayStateCancelled:
			return res, nil
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(r.poll):
		}
	}
}

func lastSegment(arn string) string {
	for i := len(arn) - 1; i >= 0; i-- {
		if arn[i] == '/' {
			return arn[i+1:]
		}
	}
	return arn
}
