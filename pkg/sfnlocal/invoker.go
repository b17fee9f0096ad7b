package sfnlocal

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/google/uuid"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/faas"
)

// Enqueuer puts an event on a function's queue (the runtime's embedded SQS).
type Enqueuer interface {
	Enqueue(ctx context.Context, function string, e cloudevents.Event) error
}

// InvokerConfig configures an Invoker.
type InvokerConfig struct {
	// Functions are the functions Task states may call, by name. Required.
	Functions []faas.Function
	// Options are the faas adapter options (logger, validator, tracer).
	Options []adapter.Option
	// Bus receives events:putEvents and sns:publish. Nil refuses them.
	Bus bus.Publisher
	// Queues receives sqs:sendMessage. Nil refuses it.
	Queues Enqueuer
	// FunctionPrefix is stripped from deployed function names
	// ("cogniforge-inventory" -> "inventory"). Empty means "cogniforge-".
	FunctionPrefix string
	// FunctionTimeout is a function's own deadline, as a Lambda's configured
	// timeout is: the function sees it in its context and its Timeout
	// middleware answers CogniForge.Timeout shortly before it. A Task's
	// TimeoutSeconds is the state's, not the function's: when it passes, the
	// state fails with States.Timeout and the call is cancelled, as on AWS.
	// Zero means DefaultFunctionTimeout.
	FunctionTimeout time.Duration
}

// DefaultFunctionTimeout is Lambda's longest function timeout.
const DefaultFunctionTimeout = 15 * time.Minute

// DefaultFunctionPrefix is the name prefix infra/ gives deployed functions.
const DefaultFunctionPrefix = "cogniforge-"

// Invoker is an asl.TaskInvoker over local functions and backends. Safe for
// concurrent use.
type Invoker struct {
	fns     map[string]*lambda.Invoker
	bus     bus.Publisher
	queues  Enqueuer
	prefix  string
	timeout time.Duration
}

var _ asl.TaskInvoker = (*Invoker)(nil)

// NewInvoker builds an Invoker.
func NewInvoker(cfg InvokerConfig) (*Invoker, error) {
	if len(cfg.Functions) == 0 {
		return nil, errors.New("sfnlocal: InvokerConfig.Functions is empty")
	}
	if cfg.FunctionPrefix == "" {
		cfg.FunctionPrefix = DefaultFunctionPrefix
	}
	if cfg.FunctionTimeout < 0 {
		return nil, fmt.Errorf("sfnlocal: InvokerConfig.FunctionTimeout %s is negative", cfg.FunctionTimeout)
	}
	if cfg.FunctionTimeout == 0 {
		cfg.FunctionTimeout = DefaultFunctionTimeout
	}
	inv := &Invoker{fns: map[string]*lambda.Invoker{}, bus: cfg.Bus, queues: cfg.Queues, prefix: cfg.FunctionPrefix, timeout: cfg.FunctionTimeout}
	for _, fn := range cfg.Functions {
		inv.fns[fn.Name] = lambda.NewInvoker(fn, cfg.Options...)
	}
	return inv, nil
}

// FunctionName maps a Lambda ARN or name to a local function name; pass it
// as asl.ExecutionConfig.FunctionName.
func (i *Invoker) FunctionName(arnOrName string) string {
	return ResolveFunctionName(arnOrName, i.prefix, func(n string) bool { _, ok := i.fns[n]; return ok })
}

// ResolveFunctionName maps a Lambda ARN, a deployed name or a placeholder to
// a local function name: known reports whether a name is a local function,
// and prefix (the deployment's name prefix) is stripped when that makes it
// one.
//
// A Terraform placeholder left in a definition, ${function_arn_<name>} with
// dashes written as underscores (see infra/main.tf), names the function
// <name>, so the files in statemachines/ run locally as they are.
func ResolveFunctionName(arnOrName, prefix string, known func(string) bool) string {
	if p, ok := strings.CutPrefix(arnOrName, "${function_arn_"); ok && strings.HasSuffix(p, "}") {
		return strings.ReplaceAll(strings.TrimSuffix(p, "}"), "_", "-")
	}
	name := asl.DefaultFunctionName(arnOrName)
	if !known(name) {
		if short, ok := strings.CutPrefix(name, prefix); ok && known(short) {
			return short
		}
	}
	return name
}

// Names lists the functions, sorted.
func (i *Invoker) Names() []string {
	out := make([]string, 0, len(i.fns))
	for n := range i.fns {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Invoke runs one Task. Functions run in process with ctx, so its span and
// baggage reach them as they are; events sent by putEvents, sqs:sendMessage
// and sns:publish get the traceparent and baggage of ctx unless their
// author set their own.
func (i *Invoker) Invoke(ctx context.Context, req asl.TaskRequest) (any, error) {
	switch {
	case req.FunctionName != "":
		return i.invokeFunction(ctx, req)
	case req.Service == "events" && req.Action == "putEvents":
		return i.putEvents(ctx, req)
	case req.Service == "sqs" && req.Action == "sendMessage":
		return i.sendMessage(ctx, req)
	case req.Service == "sns" && req.Action == "publish":
		return i.publish(ctx, req)
	}
	return nil, asl.NewError("States.Runtime", fmt.Sprintf("the local runtime does not support the resource %q of state '%s'", req.Resource, req.StateName))
}

func (i *Invoker) invokeFunction(ctx context.Context, req asl.TaskRequest) (any, error) {
	fn, ok := i.fns[req.FunctionName]
	if !ok {
		// Lambda answers a missing function with ResourceNotFoundException,
		// which a Task reports as Lambda.ResourceNotFoundException.
		return nil, asl.NewError("Lambda.ResourceNotFoundException",
			fmt.Sprintf("Function not found: %s (local functions: %s)", req.FunctionName, strings.Join(i.Names(), ", ")))
	}
	payload, err := json.Marshal(req.Input)
	if err != nil {
		return nil, asl.NewError("States.Runtime", fmt.Sprintf("state '%s': task input is not JSON: %v", req.StateName, err))
	}
	// The function's deadline is its own; the state's TimeoutSeconds is
	// enforced by the engine, which cancels ctx and fails the state with
	// States.Timeout whatever the function answers.
	ctx, cancel := context.WithTimeout(ctx, i.timeout)
	defer cancel()
	out, err := fn.Invoke(ctx, payload)
	if err != nil {
		return nil, asl.NewError(faas.ErrorName(err), err.Error())
	}
	if len(out) == 0 {
		return nil, nil
	}
	// Decoded in document order: AWS keeps a function's key order.
	v, err := jsonv.Decode(out)
	if err != nil {
		return nil, asl.NewError("States.Runtime", fmt.Sprintf("function %s answered with invalid JSON: %v", req.FunctionName, err))
	}
	return v, nil
}

// eventFromDetail turns a PutEvents entry into a CloudEvent with the
// Lambda adapter's mapping (lambda.FromEventBridge), so a consumer sees the
// same event locally as behind an EventBridge rule. Detail may be JSON text
// (EventBridge's Detail) or a JSON value (the Step Functions integration).
func eventFromDetail(source, detailType string, detail any) (cloudevents.Event, error) {
	var raw []byte
	if s, ok := detail.(string); ok {
		if !json.Valid([]byte(s)) {
			return cloudevents.Event{}, fmt.Errorf("the entry's Detail is not JSON: %q", s)
		}
		raw = []byte(s)
	} else {
		b, err := json.Marshal(detail)
		if err != nil {
			return cloudevents.Event{}, fmt.Errorf("the entry's Detail: %w", err)
		}
		raw = b
	}
	e, err := lambda.FromEventBridge(lambda.EventBridgeEvent{Source: source, DetailType: detailType, Detail: raw})
	if err != nil {
		return e, err
	}
	return e, e.Validate()
}

// eventFrom builds the event of an SNS message: a structured CloudEvent
// message is taken as it is; anything else (a string too) is the data of
// an event of detailType.
func eventFrom(source, detailType string, detail any) (cloudevents.Event, error) {
	if m, ok := detail.(map[string]any); ok {
		if _, isCE := m["specversion"]; isCE {
			b, _ := json.Marshal(m)
			var e cloudevents.Event
			if err := json.Unmarshal(b, &e); err != nil {
				return e, err
			}
			return e, e.Validate()
		}
	}
	e := cloudevents.NewEvent()
	e.SetID(uuid.NewString())
	e.SetSource(source)
	e.SetType(detailType)
	e.SetTime(time.Now().UTC())
	if err := e.SetData(cloudevents.ApplicationJSON, detail); err != nil {
		return e, err
	}
	return e, e.Validate()
}

func (i *Invoker) putEvents(ctx context.Context, req asl.TaskRequest) (any, error) {
	if i.bus == nil {
		return nil, asl.NewError("States.Runtime", "events:putEvents: no event bus in this run")
	}
	params, _ := jsonv.ToAny(req.Parameters).(map[string]any)
	entries, _ := params["Entries"].([]any)
	if len(entries) == 0 {
		return nil, asl.NewError("EventBridge.ValidationException", fmt.Sprintf("state '%s': events:putEvents needs Parameters.Entries", req.StateName))
	}
	evs := make([]cloudevents.Event, 0, len(entries))
	for n, raw := range entries {
		m, _ := raw.(map[string]any)
		src, _ := m["Source"].(string)
		dt, _ := m["DetailType"].(string)
		e, err := eventFromDetail(src, dt, m["Detail"])
		if err != nil {
			return nil, asl.NewError("EventBridge.ValidationException", fmt.Sprintf("state '%s': Entries[%d]: %v", req.StateName, n, err))
		}
		events.FillTraceContext(ctx, &e)
		evs = append(evs, e)
	}
	results, err := i.bus.Publish(ctx, evs)
	if err == nil && len(results) != len(evs) {
		// Without one result per event no event's fate is known.
		err = fmt.Errorf("the bus answered %d results for %d events", len(results), len(evs))
	}
	if err != nil {
		return nil, asl.NewError("EventBridge.EventBridgeException", err.Error())
	}
	out := make([]any, len(evs))
	failed := 0
	for n, e := range evs {
		if results[n] != nil {
			failed++
			out[n] = map[string]any{"ErrorCode": "InternalFailure", "ErrorMessage": results[n].Error()}
			continue
		}
		out[n] = map[string]any{"EventId": e.ID()}
	}
	return map[string]any{"Entries": out, "FailedEntryCount": failed}, nil
}

func (i *Invoker) sendMessage(ctx context.Context, req asl.TaskRequest) (any, error) {
	if i.queues == nil {
		return nil, asl.NewError("States.Runtime", "sqs:sendMessage: no queues in this run")
	}
	params, _ := jsonv.ToAny(req.Parameters).(map[string]any)
	queueURL, _ := params["QueueUrl"].(string)
	// Locally a queue is named after the function it feeds: the last
	// segment of the URL, with the deployment prefix and "-queue" suffix off.
	name := queueURL[strings.LastIndex(queueURL, "/")+1:]
	name = strings.TrimSuffix(strings.TrimPrefix(name, i.prefix), "-queue")
	if _, ok := i.fns[name]; !ok {
		return nil, asl.NewError("SQS.QueueDoesNotExistException", fmt.Sprintf("no local queue for %q (functions: %s)", queueURL, strings.Join(i.Names(), ", ")))
	}
	var body string
	switch b := params["MessageBody"].(type) {
	case string:
		body = b
	default:
		j, _ := json.Marshal(b)
		body = string(j)
	}
	var detail any
	if err := json.Unmarshal([]byte(body), &detail); err != nil {
		detail = body
	}
	e, err := eventFromDetail("cogniforge://stepfunctions/"+req.ExecutionName, "dev.cogniforge.stepfunctions.message.v1", detail)
	if err != nil {
		return nil, asl.NewError("SQS.InvalidMessageContents", err.Error())
	}
	events.FillTraceContext(ctx, &e)
	if err := i.queues.Enqueue(ctx, name, e); err != nil {
		return nil, asl.NewError("SQS.SdkClientException", err.Error())
	}
	sum := md5.Sum([]byte(body))
	return map[string]any{"MessageId": e.ID(), "MD5OfMessageBody": hex.EncodeToString(sum[:])}, nil
}

func (i *Invoker) publish(ctx context.Context, req asl.TaskRequest) (any, error) {
	if i.bus == nil {
		return nil, asl.NewError("States.Runtime", "sns:publish: no event bus in this run")
	}
	params, _ := jsonv.ToAny(req.Parameters).(map[string]any)
	topic, _ := params["TopicArn"].(string)
	var msg any = params["Message"]
	if s, ok := msg.(string); ok {
		var v any
		if json.Unmarshal([]byte(s), &v) == nil {
			msg = v
		}
	}
	e, err := eventFrom("cogniforge://sns/"+topic[strings.LastIndex(topic, ":")+1:], "dev.cogniforge.sns.message.v1", msg)
	if err != nil {
		return nil, asl.NewError("SNS.InvalidParameterException", err.Error())
	}
	events.FillTraceContext(ctx, &e)
	res, err := i.bus.Publish(ctx, []cloudevents.Event{e})
	if err == nil && len(res) != 1 {
		err = fmt.Errorf("the bus answered %d results for 1 event", len(res))
	}
	if err == nil {
		err = res[0]
	}
	if err != nil {
		return nil, asl.NewError("SNS.InternalErrorException", err.Error())
	}
	return map[string]any{"MessageId": e.ID()}, nil
}
