package lambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/kafkace"
	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

// Event sources of the Lambda Kafka event source mappings.
const (
	kafkaMSK         = "aws:kafka"
	kafkaSelfManaged = "SelfManagedKafka"
)

type kafkaRecord struct {
	Topic     string        `json:"topic"`
	Partition int32         `json:"partition"`
	Offset    int64         `json:"offset"`
	Timestamp int64         `json:"timestamp"`
	Key       string        `json:"key"`
	Value     string        `json:"value"`
	Headers   []kafkaHeader `json:"headers"`
}

// kafkaHeader is one header as Lambda sends it: {"name": [byte, ...]}, the
// bytes as JSON numbers, signed (Java's byte) or not.
type kafkaHeader map[string]kafkaBytes

type kafkaBytes []byte

func (b *kafkaBytes) UnmarshalJSON(data []byte) error {
	var nums []int
	if err := json.Unmarshal(data, &nums); err != nil {
		return err
	}
	out := make([]byte, len(nums))
	for i, n := range nums {
		if n < -128 || n > 255 {
			return fmt.Errorf("header byte %d out of range", n)
		}
		out[i] = byte(n)
	}
	*b = out
	return nil
}

// kafkaFailure is one entry of a Kafka partial batch response: the
// partition key and the offset to resume from.
type kafkaFailure struct {
	ItemIdentifier kafkaItem `json:"itemIdentifier"`
}

type kafkaItem struct {
	Partition string `json:"partition"`
	Offset    int64  `json:"offset"`
}

type kafkaResponse struct {
	BatchItemFailures []kafkaFailure `json:"batchItemFailures"`
}

// kafka runs the records of a Kafka event source mapping ("<topic>-
// <partition>" to that partition's records). Within a
// partition the records run in offset order and nothing after the first
// failure runs, so the reply names, per partition, the offset to resume
// from: Lambda (with ReportBatchItemFailures on the mapping) commits what
// came before it and delivers the rest again, in order. A record that is
// not a CloudEvent, or not a valid one, is such a failure.
func (i *Invoker) kafka(ctx context.Context, records map[string][]kafkaRecord) ([]byte, error) {
	parts := make([]string, 0, len(records))
	for p := range records {
		parts = append(parts, p)
	}
	sort.Strings(parts)
	var (
		evs    []cloudevents.Event
		pre    []error
		groups []string
		offs   []int64
	)
	for _, p := range parts {
		recs := records[p]
		sort.SliceStable(recs, func(a, b int) bool { return recs[a].Offset < recs[b].Offset })
		for k := range recs {
			ev, err := kafkaCloudEvent(&recs[k])
			if err == nil {
				if verr := ev.Validate(); verr != nil {
					err = faas.InvalidEvent(verr)
				}
			}
			evs = append(evs, ev)
			pre = append(pre, err)
			groups = append(groups, p)
			offs = append(offs, recs[k].Offset)
		}
	}
	if len(evs) == 0 {
		return emptyBatchResponse, nil
	}
	results := adapter.RunOrdered(ctx, i.fn, i.o, i.h, evs, pre, groups)
	var resp kafkaResponse
	reported := map[string]bool{}
	for k, res := range results {
		if res.Err != nil && !reported[groups[k]] {
			reported[groups[k]] = true
			resp.BatchItemFailures = append(resp.BatchItemFailures, kafkaFailure{kafkaItem{Partition: groups[k], Offset: offs[k]}})
		}
	}
	if len(resp.BatchItemFailures) == 0 {
		return emptyBatchResponse, nil
	}
	return json.Marshal(resp)
}

// kafkaCloudEvent decodes one record with the CloudEvents Kafka binding; the
// traceparent comes from the event, else a traceparent header.
func kafkaCloudEvent(r *kafkaRecord) (cloudevents.Event, error) {
	rec := kafkace.Record{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset}
	if r.Timestamp > 0 {
		rec.Timestamp = time.UnixMilli(r.Timestamp)
	}
	at := r.Topic + "-" + strconv.Itoa(int(r.Partition)) + "@" + strconv.FormatInt(r.Offset, 10)
	var err error
	if rec.Key, err = base64.StdEncoding.DecodeString(r.Key); err != nil {
		return cloudevents.NewEvent(), faas.Invalid("key", fmt.Errorf("record %s: key is not base64: %w", at, err))
	}
	if rec.Value, err = base64.StdEncoding.DecodeString(r.Value); err != nil {
		return cloudevents.NewEvent(), faas.Invalid("value", fmt.Errorf("record %s: value is not base64: %w", at, err))
	}
	for _, h := range r.Headers {
		for name, v := range h {
			rec.Headers = append(rec.Headers, kafkace.Header{Key: name, Value: v})
		}
	}
	ev, err := kafkace.Decode(&rec)
	if err != nil {
		return ev, faas.Invalid("value", fmt.Errorf("record %s: %w", at, err))
	}
	if _, ok := ev.Extensions()[telemetry.TraceParent]; !ok {
		if tp, ok := rec.Header(telemetry.TraceParent); ok {
			var h telemetry.Headers
			h.TraceParent = string(tp)
			if ts, ok := rec.Header(telemetry.TraceState); ok {
				h.TraceState = string(ts)
			}
			telemetry.SetEventHeaders(&ev, h)
		}
	}
	return ev, nil
}
