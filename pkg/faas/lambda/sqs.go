package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

// sqsRecord is the part of an SQS record the Invoker reads.
type sqsRecord struct {
	MessageID      string `json:"messageId"`
	EventSource    string `json:"eventSource"`
	EventSourceARN string `json:"eventSourceARN"`
	Body           string `json:"body"`
	Attributes     struct {
		AWSTraceHeader string `json:"AWSTraceHeader"`
		MessageGroupID string `json:"MessageGroupId"`
	} `json:"attributes"`
	MessageAttributes map[string]sqsAttribute `json:"messageAttributes"`
}

type sqsAttribute struct {
	StringValue *string `json:"stringValue"`
	BinaryValue []byte  `json:"binaryValue"`
	DataType    string  `json:"dataType"`
}

func (a sqsAttribute) value() string {
	if a.StringValue != nil {
		return *a.StringValue
	}
	return string(a.BinaryValue)
}

// batchResponse is the Lambda SQS partial batch response.
type batchResponse struct {
	BatchItemFailures []batchItemFailure `json:"batchItemFailures"`
}

type batchItemFailure struct {
	ItemIdentifier string `json:"itemIdentifier"`
}

var emptyBatchResponse = []byte(`{"batchItemFailures":[]}`)

func (i *Invoker) sqs(ctx context.Context, recs []sqsRecord) ([]byte, error) {
	evs := make([]cloudevents.Event, len(recs))
	pre := make([]error, len(recs))
	for k := range recs {
		evs[k], pre[k] = sqsEvent(&recs[k])
		if pre[k] == nil {
			if err := evs[k].Validate(); err != nil {
				pre[k] = faas.InvalidEvent(err)
			}
		}
	}
	var groups []string
	if strings.HasSuffix(recs[0].EventSourceARN, ".fifo") {
		// FIFO: within a message group, nothing after the first failure is
		// handled; it is listed as failed so SQS delivers it again, in order.
		groups = make([]string, len(recs))
		for k := range recs {
			groups[k] = recs[k].Attributes.MessageGroupID
		}
	}
	results := adapter.RunOrdered(ctx, i.fn, i.o, i.h, evs, pre, groups)
	var resp batchResponse
	for k, res := range results {
		if res.Err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, batchItemFailure{ItemIdentifier: recs[k].MessageID})
		}
	}
	if len(resp.BatchItemFailures) == 0 {
		return emptyBatchResponse, nil
	}
	return json.Marshal(resp)
}

// sqsEvent decodes the CloudEvent of an SQS record: a structured CloudEvent
// body; binary mode, with ce_ or ce- prefixed message attributes (SQS allows
// both '_' and '-' in attribute names) and the body as data; or an
// EventBridge event body (an EventBridge rule targeting the queue). The
// traceparent comes from the event, else the traceparent message attribute,
// else the AWSTraceHeader system attribute; the baggage from the event, else
// the baggage message attribute.
func sqsEvent(rec *sqsRecord) (cloudevents.Event, error) {
	ev, err := sqsDecode(rec)
	if err != nil {
		return ev, err
	}
	ext := ev.Extensions()
	var h telemetry.Headers
	if _, ok := ext[telemetry.TraceParent]; !ok {
		if a, ok := rec.MessageAttributes[telemetry.TraceParent]; ok {
			h.TraceParent = a.value()
			if s, ok := rec.MessageAttributes[telemetry.TraceState]; ok {
				h.TraceState = s.value()
			}
		} else if rec.Attributes.AWSTraceHeader != "" {
			h.TraceParent = telemetry.XRayToTraceparent(rec.Attributes.AWSTraceHeader)
		}
	}
	if _, ok := ext[telemetry.Baggage]; !ok {
		if a, ok := rec.MessageAttributes[telemetry.Baggage]; ok {
			h.Baggage = a.value()
		}
	}
	telemetry.SetEventHeaders(&ev, h)
	return ev, nil
}

func sqsDecode(rec *sqsRecord) (cloudevents.Event, error) {
	for name := range rec.MessageAttributes {
		if isCEAttr(name) {
			return sqsBinary(rec)
		}
	}
	ev := cloudevents.NewEvent()
	body := []byte(rec.Body)
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return ev, faas.Invalid("body", errors.New("SQS message body is not a structured CloudEvent and the message has no ce_ attributes"))
	}
	hasSpec := bytes.Contains(trimmed, []byte(`"specversion"`))
	if hasSpec {
		err := ev.UnmarshalJSON(trimmed)
		if err == nil {
			return ev, nil
		}
		if !bytes.Contains(trimmed, []byte(`"detail-type"`)) || hasTopLevelSpecVersion(trimmed) {
			return ev, cehttp.DecodeError(err)
		}
	}
	if bytes.Contains(trimmed, []byte(`"detail-type"`)) {
		var env EventBridgeEvent
		if err := json.Unmarshal(trimmed, &env); err != nil {
			return ev, faas.Invalid("body", err)
		}
		if env.DetailType != "" && env.Source != "" && len(env.Detail) > 0 {
			return eventBridgeEvent(&env)
		}
	}
	return ev, faas.Invalid("specversion", errors.New("SQS message body is not a CloudEvent: no specversion"))
}

func isCEAttr(name string) bool {
	return len(name) > 3 && (name[:3] == "ce_" || name[:3] == "ce-" || name[:3] == "CE_" || name[:3] == "Ce-")
}

// sqsBinary builds an event from ce_/ce- message attributes and the body.
func sqsBinary(rec *sqsRecord) (cloudevents.Event, error) {
	ev := cloudevents.NewEvent()
	ev.SetSpecVersion("")
	for name, a := range rec.MessageAttributes {
		v := a.value()
		var key string
		switch {
		case isCEAttr(name):
			key = strings.ToLower(name[3:])
		case strings.EqualFold(name, "content-type") || strings.EqualFold(name, "content_type"):
			key = "datacontenttype"
		default:
			continue
		}
		switch key {
		case "specversion":
			ev.SetSpecVersion(v)
		case "id":
			ev.SetID(v)
		case "source":
			ev.SetSource(v)
		case "type":
			ev.SetType(v)
		case "subject":
			ev.SetSubject(v)
		case "dataschema":
			ev.SetDataSchema(v)
		case "datacontenttype":
			ev.SetDataContentType(v)
		case "time":
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return ev, faas.Invalid("time", err)
			}
			ev.SetTime(t)
		default:
			ev.SetExtension(strings.NewReplacer("_", "", "-", "").Replace(key), v)
		}
	}
	if ev.SpecVersion() == "" {
		return ev, faas.Invalid("specversion", errors.New("binary-mode SQS message lacks a ce_specversion attribute"))
	}
	ev.DataEncoded = []byte(rec.Body)
	return ev, nil
}
