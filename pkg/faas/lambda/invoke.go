// Package lambda runs a faas.Function on AWS Lambda: Invoker turns every raw
// payload Lambda delivers (SQS batches, EventBridge events, function URL
// requests, Step Functions task inputs, schedules, rotation requests, direct
// CloudEvents) into CloudEvents and answers in the shape each caller expects
// (batchItemFailures, function URL responses, raw task output, errors named
// for ASL Catch); Start runs it in the aws-lambda-go runtime loop. The
// local Step Functions engine and `cogniforge invoke` use Invoker too.
package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/google/uuid"
	jsoniter "github.com/json-iterator/go"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
	"github.com/cogniforge/cogniforge/pkg/faas/middleware"
	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

// Invoker runs a Function on raw invocation payloads: the core of the Lambda
// adapter, also used by `cogniforge invoke --payload` and the in-process Step
// Functions engine. It is safe for concurrent use and never panics.
//
// Invoke detects the payload shape from its top-level keys in one decode:
//
//   - SQS batch (Records[].eventSource "aws:sqs"): each record is a CloudEvent,
//     either a structured body, or binary mode with ce_ or ce- prefixed
//     String message attributes (SQS names may hold '_', '-' and '.'; at most
//     10 attributes per message) and the body as data, or an EventBridge event
//     body (a rule targeting the queue), mapped by FromEventBridge. The traceparent
//     comes from the event, else a traceparent message attribute, else the
//     AWSTraceHeader system attribute (X-Ray, converted); the baggage comes
//     from the event, else a baggage message attribute. The reply is
//     {"batchItemFailures":[{"itemIdentifier":messageId}...]} listing the
//     records that failed decoding, validation or handling, so only they are
//     retried. Every failure is listed, retryable or not (see faas.Error):
//     SQS redelivers it until maxReceiveCount, then moves it to the DLQ. On
//     a FIFO queue, within a message group (attributes.MessageGroupId) the
//     records after the first failure are not handled and are listed too
//     (adapter.ErrNotProcessed), to keep the order. With fn.Batch the
//     records still run through the whole middleware chain (see
//     adapter.RunOrdered). Reply events are dropped.
//   - Kafka batch from an MSK or self-managed Kafka event source mapping
//     (eventSource "aws:kafka" or "SelfManagedKafka", records by
//     "<topic>-<partition>"): each record is a CloudEvent in the Kafka
//     protocol binding, binary (ce_ headers) or structured (see
//     pkg/kafkace). Within a partition records run in offset order and
//     stop at the first failure; the reply is the Kafka partial batch
//     response {"batchItemFailures":[{"itemIdentifier":{"partition":
//     "<topic>-<partition>","offset":N}}]}, N the first failed offset of
//     each failed partition, so the mapping (with ReportBatchItemFailures)
//     resumes there. A record that is not a CloudEvent is such a failure.
//   - EventBridge event (detail-type, source, detail): mapped by
//     FromEventBridge. Reply: null.
//   - Function URL / API Gateway v2 request (requestContext.http): served by
//     the same code as NewHTTPHandler; the reply is the function URL response.
//   - Secrets Manager rotation (SecretId, ClientRequestToken, Step): a
//     SecretRotationType event with id "<ClientRequestToken>/<Step>" (the same
//     for retries of one step) and source SecretId. Reply: null.
//   - EventBridge Scheduler universal input {"scheduleArn","scheduledTime",
//     "executionId"?,"attemptNumber"?} (the Scheduler target Input template
//     filled from <aws.scheduler.*> context attributes): a ScheduleFiredType event.
//   - a structured CloudEvent (top-level specversion): the reply event as
//     structured JSON, or null.
//   - any other JSON (a Step Functions task input): an event of
//     fn.TaskEventType with the payload as data, id = the Lambda request id
//     (or a new UUID), the payload's "traceparent"/"tracestate"/"baggage"/
//     "correlationId" fields as extensions; the reply event's data is returned raw (null
//     without a reply). Without TaskEventType: CogniForge.UnsupportedPayload.
//
// Errors are named (see ErrorName): malformed JSON and invalid events are
// CogniForge.InvalidEvent, empty payloads CogniForge.UnsupportedPayload, and
// handler errors keep their names, so a Step Functions Catch can match them.
type Invoker struct {
	fn     faas.Function
	o      adapter.Options
	h      faas.Handler
	http   http.Handler
	source string
}

// NewInvoker builds an Invoker for fn with the Defaults chain configured by opts.
func NewInvoker(fn faas.Function, opts ...adapter.Option) *Invoker {
	o := adapter.Build(opts)
	hh, h := cehttp.Compose(fn, o)
	return &Invoker{fn: fn, o: o, h: h, http: hh, source: cehttp.FunctionSource(fn)}
}

// EventBridgeEvent is an EventBridge event as a rule target receives it
// (Lambda, or an SQS body), or a PutEvents entry (Time and ID optional).
type EventBridgeEvent struct {
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
	// ReplayName is set by EventBridge on an event re-delivered by a
	// replay of an archive.
	ReplayName string `json:"replay-name,omitempty"`
}

// sniff is the union of the top-level keys of every payload shape: one
// decode tells the shape and fills what that shape needs. Fields of the
// wrong JSON type are skipped by encoding/json (UnmarshalTypeError) and so
// simply do not match.
type sniff struct {
	Records []sqsRecord `json:"Records"`

	// Kafka event source mappings (MSK, self-managed): "records" is an
	// object by partition; an exact key match wins over Records's
	// case-insensitive one, so one decode serves both shapes.
	EventSource  string                   `json:"eventSource"`
	KafkaRecords map[string][]kafkaRecord `json:"records"`

	EventBridgeEvent

	// Function URL / API Gateway v2.
	RequestContext *struct {
		DomainName string `json:"domainName"`
		HTTP       *struct {
			Method   string `json:"method"`
			SourceIP string `json:"sourceIp"`
		} `json:"http"`
		// Authorizer is set when the function URL uses AWS_IAM auth.
		Authorizer *struct {
			IAM *struct {
				UserARN string `json:"userArn"`
			} `json:"iam"`
		} `json:"authorizer"`
	} `json:"requestContext"`
	RawPath         string            `json:"rawPath"`
	RawQueryString  string            `json:"rawQueryString"`
	Headers         map[string]string `json:"headers"`
	Cookies         []string          `json:"cookies"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`

	// Secrets Manager rotation.
	SecretID           string `json:"SecretId"`
	ClientRequestToken string `json:"ClientRequestToken"`
	Step               string `json:"Step"`

	// EventBridge Scheduler universal input.
	ScheduleArn   string          `json:"scheduleArn"`
	ScheduledTime string          `json:"scheduledTime"`
	ExecutionID   string          `json:"executionId"`
	AttemptNumber json.RawMessage `json:"attemptNumber"`

	// Structured CloudEvent.
	SpecVersion json.RawMessage `json:"specversion"`

	// Step Functions task payload conventions.
	TraceParent   string `json:"traceparent"`
	TraceState    string `json:"tracestate"`
	Baggage       string `json:"baggage"`
	CorrelationID string `json:"correlationId"`
}

var nullJSON = []byte("null")

// fastJSON decodes the envelope of well-formed payloads; it matches keys
// case-insensitively like encoding/json and is several times faster on the
// SQS batches that dominate traffic.
var fastJSON = jsoniter.ConfigCompatibleWithStandardLibrary

// Invoke handles one raw invocation payload; see Invoker.
func (i *Invoker) Invoke(ctx context.Context, payload []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, middleware.PanicError(ctx, i.o.Logger, r)
		}
		if err != nil {
			err = asNamed(err)
		}
	}()
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || bytes.Equal(trimmed, nullJSON) {
		return nil, &faas.Error{Name: faas.ErrUnsupported, Message: "empty payload"}
	}
	var s sniff
	var typeErr *json.UnmarshalTypeError
	if err := fastJSON.Unmarshal(trimmed, &s); err != nil {
		// jsoniter stops at the first mismatch; encoding/json skips fields of
		// the wrong type and fills the rest, which is what detection needs,
		// and says precisely what is malformed.
		s = sniff{}
		if err := json.Unmarshal(trimmed, &s); err != nil && !errors.As(err, &typeErr) {
			return nil, faas.Invalid("payload", fmt.Errorf("malformed JSON: %w", err))
		}
	}
	switch {
	case len(s.Records) > 0 && s.Records[0].EventSource == "aws:sqs":
		return i.sqs(ctx, s.Records)
	case s.EventSource == kafkaMSK || s.EventSource == kafkaSelfManaged:
		if typeErr != nil {
			// A record of the wrong shape was skipped by the lenient
			// decode: refuse the batch rather than lose the record.
			return nil, faas.Invalid("records", fmt.Errorf("malformed Kafka event: %w", typeErr))
		}
		return i.kafka(ctx, s.KafkaRecords)
	case s.RequestContext != nil && s.RequestContext.HTTP != nil && s.RequestContext.HTTP.Method != "":
		return i.functionURL(ctx, &s)
	case len(s.SpecVersion) > 0:
		return i.direct(ctx, trimmed)
	case s.DetailType != "" && s.Source != "" && len(s.Detail) > 0:
		ev, err := eventBridgeEvent(&s.EventBridgeEvent)
		if err != nil {
			return nil, err
		}
		return i.dropReply(ctx, ev)
	case s.SecretID != "" && s.ClientRequestToken != "" && s.Step != "":
		return i.rotation(ctx, trimmed, &s)
	case s.ScheduleArn != "" && s.ScheduledTime != "":
		ev, err := schedulerEvent(&s)
		if err != nil {
			return nil, err
		}
		return i.dropReply(ctx, ev)
	}
	return i.task(ctx, trimmed, &s)
}

// asNamed makes sure err has a name the Lambda runtime can report.
func asNamed(err error) error {
	var named interface{ ErrorName() string }
	if errors.As(err, &named) && named.ErrorName() != "" {
		return err
	}
	return &faas.Error{Name: faas.ErrorName(err), Message: err.Error(), Err: err}
}

// handle validates ev's CloudEvents attributes and runs the chain.
func (i *Invoker) handle(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
	if err := ev.Validate(); err != nil {
		return nil, faas.InvalidEvent(err)
	}
	return i.h(ctx, ev)
}

func (i *Invoker) dropReply(ctx context.Context, ev cloudevents.Event) ([]byte, error) {
	if _, err := i.handle(ctx, ev); err != nil {
		return nil, err
	}
	return nullJSON, nil
}

func (i *Invoker) direct(ctx context.Context, payload []byte) ([]byte, error) {
	ev := cloudevents.NewEvent()
	if err := ev.UnmarshalJSON(payload); err != nil {
		return nil, cehttp.DecodeError(err)
	}
	reply, err := i.handle(ctx, ev)
	if err != nil {
		return nil, err
	}
	if reply == nil {
		return nullJSON, nil
	}
	b, err := json.Marshal(reply)
	if err != nil {
		return nil, &faas.Error{Name: faas.ErrInvalidEvent, Message: "reply event cannot be encoded: " + err.Error(), Err: err}
	}
	return b, nil
}

func (i *Invoker) rotation(ctx context.Context, payload []byte, s *sniff) ([]byte, error) {
	ev := cloudevents.NewEvent()
	ev.SetID(s.ClientRequestToken + "/" + s.Step)
	ev.SetSource(s.SecretID)
	ev.SetType(faas.SecretRotationType)
	ev.SetSubject(s.Step)
	ev.SetTime(time.Now())
	ev.SetDataContentType(cehttp.ContentTypeJSON)
	ev.DataEncoded = payload
	return i.dropReply(ctx, ev)
}

func (i *Invoker) task(ctx context.Context, payload []byte, s *sniff) ([]byte, error) {
	if i.fn.TaskEventType == "" {
		return nil, &faas.Error{Name: faas.ErrUnsupported, Message: "function " + i.fn.Name + " does not accept raw payloads (no TaskEventType)"}
	}
	ev := cloudevents.NewEvent()
	id := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		id = lc.AwsRequestID
	}
	if id == "" {
		id = uuid.NewString()
	}
	ev.SetID(id)
	ev.SetSource(i.source)
	ev.SetType(i.fn.TaskEventType)
	ev.SetTime(time.Now())
	ev.SetDataContentType(cehttp.ContentTypeJSON)
	ev.DataEncoded = payload
	telemetry.SetEventHeaders(&ev, telemetry.Headers{TraceParent: s.TraceParent, TraceState: s.TraceState, Baggage: s.Baggage})
	if s.CorrelationID != "" {
		ev.SetExtension(faas.CorrelationExtension, s.CorrelationID)
	}
	reply, err := i.handle(ctx, ev)
	if err != nil {
		return nil, err
	}
	if reply == nil || len(reply.Data()) == 0 {
		return nullJSON, nil
	}
	data := reply.Data()
	if !json.Valid(data) {
		// A Step Functions result must be JSON: pass text as a string.
		return json.Marshal(string(data))
	}
	return data, nil
}

// FromEventBridge is the one mapping of an EventBridge event to a
// CloudEvent, used by the Lambda adapter (EventBridge targets, SQS bodies)
// and by the local Step Functions events:putEvents: the detail when it is a
// structured CloudEvent; a scheduled event (source aws.events, detail-type
// "Scheduled Event", or source aws.scheduler) becomes a ScheduleFiredType
// event; anything else becomes an event whose type is the detail-type when
// that looks like a CloudEvents type (lower-case, dotted, no spaces), else
// "aws.eventbridge.<source>.<detail-type>" slugged, with source = source,
// id = id (a new UUID when empty), time = time (now when empty, as
// EventBridge stamps a PutEvents entry), subject = resources[0],
// data = detail. An event re-delivered by an EventBridge replay
// ("replay-name" in the envelope) gets the extensions replayed=true and
// replayid=<replay name>. It does not validate the event.
func FromEventBridge(env EventBridgeEvent) (cloudevents.Event, error) {
	return eventBridgeEvent(&env)
}

func eventBridgeEvent(env *EventBridgeEvent) (cloudevents.Event, error) {
	if bytes.Contains(env.Detail, []byte(`"specversion"`)) {
		ev := cloudevents.NewEvent()
		if err := ev.UnmarshalJSON(env.Detail); err == nil {
			if env.ReplayName != "" {
				// The marks of pkg/streams' replays (streams.ReplayedExtension,
				// streams.ReplayIDExtension), so a consumer tells a replay
				// the same way on every platform.
				ev.SetExtension("replayed", true)
				ev.SetExtension("replayid", env.ReplayName)
			}
			return ev, nil
		} else if d := bytes.TrimSpace(env.Detail); len(d) > 0 && d[0] == '{' && hasTopLevelSpecVersion(d) {
			return ev, cehttp.DecodeError(err)
		}
	}
	ev := cloudevents.NewEvent()
	id := env.ID
	if id == "" {
		id = uuid.NewString()
	}
	ev.SetID(id)
	ev.SetSource(env.Source)
	var t time.Time
	if env.Time != "" {
		var err error
		if t, err = time.Parse(time.RFC3339, env.Time); err != nil {
			return ev, faas.Invalid("time", err)
		}
		ev.SetTime(t)
	} else {
		ev.SetTime(time.Now().UTC())
	}
	schedule := ""
	if len(env.Resources) > 0 {
		schedule = env.Resources[0]
		ev.SetSubject(schedule)
	}
	if env.Source == "aws.scheduler" || env.Source == "aws.events" && env.DetailType == "Scheduled Event" {
		ev.SetType(faas.ScheduleFiredType)
		if t.IsZero() {
			t = time.Now().UTC()
		}
		if err := ev.SetData(cehttp.ContentTypeJSON, faas.ScheduleFired{Schedule: schedule, ScheduledTime: t, ExecutionID: env.ID}); err != nil {
			return ev, faas.Invalid("detail", err)
		}
		return ev, nil
	}
	if looksLikeCEType(env.DetailType) {
		ev.SetType(env.DetailType)
	} else {
		ev.SetType(faas.EventBridgeTypePrefix + slug(env.Source) + "." + slug(env.DetailType))
	}
	ev.SetDataContentType(cehttp.ContentTypeJSON)
	ev.DataEncoded = env.Detail
	return ev, nil
}

// hasTopLevelSpecVersion reports whether a JSON object has a specversion key
// at its top level (not merely inside its data).
func hasTopLevelSpecVersion(obj []byte) bool {
	var probe struct {
		SpecVersion json.RawMessage `json:"specversion"`
	}
	_ = json.Unmarshal(obj, &probe)
	return len(probe.SpecVersion) > 0
}

func schedulerEvent(s *sniff) (cloudevents.Event, error) {
	ev := cloudevents.NewEvent()
	t, err := time.Parse(time.RFC3339, s.ScheduledTime)
	if err != nil {
		return ev, faas.Invalid("scheduledTime", err)
	}
	id := s.ExecutionID
	if id == "" {
		id = s.ScheduleArn + "@" + s.ScheduledTime
	}
	attempt := 0
	if len(s.AttemptNumber) > 0 {
		var n json.Number
		if json.Unmarshal(s.AttemptNumber, &n) == nil {
			attempt = atoiOr0(n.String())
		} else {
			var str string
			if json.Unmarshal(s.AttemptNumber, &str) == nil {
				attempt = atoiOr0(str)
			}
		}
	}
	ev.SetID(id)
	ev.SetSource(s.ScheduleArn)
	ev.SetSubject(s.ScheduleArn)
	ev.SetType(faas.ScheduleFiredType)
	ev.SetTime(t)
	if err := ev.SetData(cehttp.ContentTypeJSON, faas.ScheduleFired{Schedule: s.ScheduleArn, ScheduledTime: t, ExecutionID: s.ExecutionID, Attempt: attempt}); err != nil {
		return ev, faas.Invalid("data", err)
	}
	return ev, nil
}

func atoiOr0(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' || n > 1<<20 {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// looksLikeCEType accepts reverse-DNS style types: lower-case letters,
// digits, '.', '-' and '_', at least one dot, no leading or trailing dot.
func looksLikeCEType(t string) bool {
	if t == "" || !strings.Contains(t, ".") || t[0] == '.' || t[len(t)-1] == '.' {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// slug lower-cases s and turns runs of other characters than [a-z0-9.] into '-'.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
