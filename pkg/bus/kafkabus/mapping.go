package kafkabus

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// MappingConfig configures a Mapping.
type MappingConfig struct {
	// Client consumes the topics: built with kgo.ConsumeTopics,
	// kgo.ConsumerGroup, kgo.DisableAutoCommit and kgo.BlockRebalanceOnPoll
	// (see ConsumerOptions). Required; its owner closes it.
	Client *kgo.Client
	// Invoke runs the function on a Kafka event source mapping payload and
	// returns its reply (a Kafka partial batch response). Required: the
	// Lambda adapter's Invoker.Invoke, or a Lambda Invoke call.
	Invoke func(ctx context.Context, payload []byte) ([]byte, error)
	// EventSource is the payload's eventSource. Default "SelfManagedKafka".
	EventSource string
	// BootstrapServers is the payload's bootstrapServers (informational).
	BootstrapServers string
	// MaxAttempts is how many times a failing record is delivered before it
	// goes to DeadLetterTopic. Default 3.
	MaxAttempts int
	// DeadLetterTopic receives a record that failed MaxAttempts times, with
	// headers naming where it came from and why (Lambda's Kafka on-failure
	// destination), and the partition moves past it. Required: without it a
	// poison record would stop its partition for ever or be lost.
	DeadLetterTopic string
	// RetryDelay is the wait before a failed partition is delivered again.
	// Default 1s.
	RetryDelay time.Duration
	// Logger; nil discards.
	Logger *slog.Logger
}

// Validate reports every problem of the configuration.
func (c MappingConfig) Validate() error {
	var errs []error
	if c.Client == nil {
		errs = append(errs, errors.New("kafkabus: MappingConfig.Client is required"))
	}
	if c.Invoke == nil {
		errs = append(errs, errors.New("kafkabus: MappingConfig.Invoke is required"))
	}
	if c.DeadLetterTopic == "" {
		errs = append(errs, errors.New("kafkabus: MappingConfig.DeadLetterTopic is required: a record that keeps failing must go somewhere"))
	}
	if c.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("kafkabus: MappingConfig.MaxAttempts %d is negative", c.MaxAttempts))
	}
	if c.RetryDelay < 0 {
		errs = append(errs, fmt.Errorf("kafkabus: MappingConfig.RetryDelay %v is negative", c.RetryDelay))
	}
	return errors.Join(errs...)
}

// ConsumerOptions are the franz-go options a Mapping's client needs, to be
// given with kgo.SeedBrokers (and TLS/SASL as the cluster wants).
func ConsumerOptions(group string, topics ...string) []kgo.Opt {
	return []kgo.Opt{
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topics...),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	}
}

// Headers a dead-lettered record carries besides its own.
const (
	HeaderDLQTopic     = "cogniforge_dlq_topic"
	HeaderDLQPartition = "cogniforge_dlq_partition"
	HeaderDLQOffset    = "cogniforge_dlq_offset"
	HeaderDLQAttempts  = "cogniforge_dlq_attempts"
	HeaderDLQReason    = "cogniforge_dlq_reason"
)

// Mapping delivers a topic's records to a function as Lambda's self-managed
// Kafka event source mapping does: a poll's records in one invocation,
// grouped by "<topic>-<partition>"; the function's partial batch response
// names, per partition, the offset to resume from. Offsets before it are
// committed; the partition is delivered again from it after RetryDelay;
// after MaxAttempts the record goes to DeadLetterTopic and is committed.
// So every record is either handled, or in the dead-letter topic with its
// reason, never dropped; delivery is at least once.
type Mapping struct {
	cfg      MappingConfig
	attempts map[tp]int
	// resume holds partitions sent back to an offset: records of those
	// partitions fetched before the seek (beyond the offset) are skipped.
	resume map[tp]int64
}

type tp struct {
	topic     string
	partition int32
}

func (t tp) key() string { return t.topic + "-" + strconv.Itoa(int(t.partition)) }

// NewMapping returns a Mapping.
func NewMapping(cfg MappingConfig) (*Mapping, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.EventSource == "" {
		cfg.EventSource = "SelfManagedKafka"
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 3
	}
	if cfg.RetryDelay == 0 {
		cfg.RetryDelay = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Mapping{cfg: cfg, attempts: map[tp]int{}, resume: map[tp]int64{}}, nil
}

// Run polls and delivers until ctx ends; it returns ctx's error, or the
// client's when it is closed.
func (m *Mapping) Run(ctx context.Context) error {
	for {
		if err := m.Poll(ctx); err != nil {
			return err
		}
	}
}

// Poll delivers one poll's records; exported so tests and the local
// runtime can step a mapping.
func (m *Mapping) Poll(ctx context.Context) error {
	cl := m.cfg.Client
	fetches := cl.PollFetches(ctx)
	defer cl.AllowRebalance()
	if err := ctx.Err(); err != nil {
		// Records fetched as ctx ended are not delivered: send their
		// partitions back so the next poll fetches them again.
		m.rewind(fetches)
		return err
	}
	if fetches.IsClientClosed() {
		return errors.New("kafkabus: client closed")
	}
	fetches.EachError(func(topic string, p int32, err error) {
		m.cfg.Logger.Warn("kafka fetch failed", slog.String("topic", topic), slog.Int("partition", int(p)), slog.String("error", err.Error()))
	})
	batch := map[tp][]*kgo.Record{}
	fetches.EachRecord(func(r *kgo.Record) {
		k := tp{r.Topic, r.Partition}
		if off, ok := m.resume[k]; ok {
			if r.Offset != off {
				return // fetched before the seek back
			}
			delete(m.resume, k)
		}
		batch[k] = append(batch[k], r)
	})
	if len(batch) == 0 {
		return nil
	}
	return m.deliver(ctx, batch)
}

// rewind sets each partition of fetches back to its first fetched record.
func (m *Mapping) rewind(fetches kgo.Fetches) {
	seek := map[string]map[int32]kgo.EpochOffset{}
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if len(p.Records) == 0 {
			return
		}
		k := tp{p.Topic, p.Partition}
		off := p.Records[0].Offset
		if r, ok := m.resume[k]; ok && r < off {
			off = r
		}
		if seek[p.Topic] == nil {
			seek[p.Topic] = map[int32]kgo.EpochOffset{}
		}
		seek[p.Topic][p.Partition] = kgo.EpochOffset{Epoch: -1, Offset: off}
		m.resume[k] = off
	})
	if len(seek) > 0 {
		m.cfg.Client.SetOffsets(seek)
	}
}

type esmRecord struct {
	Topic         string                       `json:"topic"`
	Partition     int32                        `json:"partition"`
	Offset        int64                        `json:"offset"`
	Timestamp     int64                        `json:"timestamp"`
	TimestampType string                       `json:"timestampType"`
	Key           string                       `json:"key,omitempty"`
	Value         string                       `json:"value"`
	Headers       []map[string]jsonNumberBytes `json:"headers"`
}

// jsonNumberBytes marshals as Lambda sends header values: a JSON array of
// byte numbers.
type jsonNumberBytes []byte

func (b jsonNumberBytes) MarshalJSON() ([]byte, error) {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.Itoa(int(c)))
	}
	sb.WriteByte(']')
	return []byte(sb.String()), nil
}

type esmPayload struct {
	EventSource      string                 `json:"eventSource"`
	BootstrapServers string                 `json:"bootstrapServers,omitempty"`
	Records          map[string][]esmRecord `json:"records"`
}

type esmReply struct {
	BatchItemFailures []struct {
		ItemIdentifier struct {
			Partition string `json:"partition"`
			Offset    *int64 `json:"offset"`
		} `json:"itemIdentifier"`
	} `json:"batchItemFailures"`
}

func (m *Mapping) deliver(ctx context.Context, batch map[tp][]*kgo.Record) error {
	payload := esmPayload{EventSource: m.cfg.EventSource, BootstrapServers: m.cfg.BootstrapServers, Records: map[string][]esmRecord{}}
	byKey := map[string]tp{}
	for k, recs := range batch {
		sort.Slice(recs, func(a, b int) bool { return recs[a].Offset < recs[b].Offset })
		byKey[k.key()] = k
		for _, r := range recs {
			er := esmRecord{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp.UnixMilli(),
				TimestampType: "CREATE_TIME", Value: base64.StdEncoding.EncodeToString(r.Value), Headers: []map[string]jsonNumberBytes{}}
			if r.Key != nil {
				er.Key = base64.StdEncoding.EncodeToString(r.Key)
			}
			for _, h := range r.Headers {
				er.Headers = append(er.Headers, map[string]jsonNumberBytes{h.Key: h.Value})
			}
			payload.Records[k.key()] = append(payload.Records[k.key()], er)
		}
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("kafkabus: encode payload: %w", err)
	}
	failedAt, reason := m.invoke(ctx, body, batch, byKey)
	var commit []*kgo.Record
	seek := map[string]map[int32]kgo.EpochOffset{}
	for k, recs := range batch {
		off, failed := failedAt[k]
		if !failed {
			commit = append(commit, recs...)
			delete(m.attempts, k)
			continue
		}
		var failing *kgo.Record
		for _, r := range recs {
			if r.Offset < off {
				commit = append(commit, r)
			} else if r.Offset == off {
				failing = r
			}
		}
		m.attempts[k]++
		if failing != nil && m.attempts[k] >= m.cfg.MaxAttempts {
			if err := m.deadLetter(ctx, failing, m.attempts[k], reason); err != nil {
				// Not written anywhere: deliver it again rather than lose it.
				m.cfg.Logger.Error("kafka dead letter failed; the record will be delivered again", slog.String("partition", k.key()),
					slog.Int64("offset", off), slog.String("error", err.Error()))
			} else {
				commit = append(commit, failing)
				delete(m.attempts, k)
				off++
			}
		}
		m.cfg.Logger.Warn("kafka records failed", slog.String("partition", k.key()), slog.Int64("resumeAt", off), slog.String("reason", reason))
		if seek[k.topic] == nil {
			seek[k.topic] = map[int32]kgo.EpochOffset{}
		}
		seek[k.topic][k.partition] = kgo.EpochOffset{Epoch: -1, Offset: off}
		m.resume[k] = off
	}
	if len(commit) > 0 {
		if err := m.cfg.Client.CommitRecords(ctx, commit...); err != nil {
			// Uncommitted records are delivered again: at least once.
			m.cfg.Logger.Warn("kafka commit failed", slog.String("error", err.Error()))
		}
	}
	if len(seek) > 0 {
		m.cfg.Client.SetOffsets(seek)
		t := time.NewTimer(m.cfg.RetryDelay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// invoke runs the function and returns, per failed partition, the offset to
// resume from. A function error, or a reply that cannot be read, fails every
// partition of the batch from its first record (Lambda's behaviour).
func (m *Mapping) invoke(ctx context.Context, body []byte, batch map[tp][]*kgo.Record, byKey map[string]tp) (map[tp]int64, string) {
	all := func(reason string) (map[tp]int64, string) {
		out := map[tp]int64{}
		for k, recs := range batch {
			out[k] = recs[0].Offset
		}
		return out, reason
	}
	reply, err := m.cfg.Invoke(ctx, body)
	if err != nil {
		return all("function error: " + err.Error())
	}
	var r esmReply
	if len(reply) > 0 && string(reply) != "null" {
		if err := json.Unmarshal(reply, &r); err != nil {
			return all("unreadable batch response: " + err.Error())
		}
	}
	out := map[tp]int64{}
	for _, f := range r.BatchItemFailures {
		k, ok := byKey[f.ItemIdentifier.Partition]
		if !ok || f.ItemIdentifier.Offset == nil {
			return all(fmt.Sprintf("batch response names partition %q offset %v, not in the batch", f.ItemIdentifier.Partition, f.ItemIdentifier.Offset))
		}
		if cur, seen := out[k]; !seen || *f.ItemIdentifier.Offset < cur {
			out[k] = *f.ItemIdentifier.Offset
		}
	}
	return out, "reported by the function in batchItemFailures"
}

func (m *Mapping) deadLetter(ctx context.Context, r *kgo.Record, attempts int, reason string) error {
	dl := &kgo.Record{Topic: m.cfg.DeadLetterTopic, Key: r.Key, Value: r.Value, Headers: append([]kgo.RecordHeader(nil), r.Headers...)}
	dl.Headers = append(dl.Headers,
		kgo.RecordHeader{Key: HeaderDLQTopic, Value: []byte(r.Topic)},
		kgo.RecordHeader{Key: HeaderDLQPartition, Value: []byte(strconv.Itoa(int(r.Partition)))},
		kgo.RecordHeader{Key: HeaderDLQOffset, Value: []byte(strconv.FormatInt(r.Offset, 10))},
		kgo.RecordHeader{Key: HeaderDLQAttempts, Value: []byte(strconv.Itoa(attempts))},
		kgo.RecordHeader{Key: HeaderDLQReason, Value: []byte(reason)},
	)
	return m.cfg.Client.ProduceSync(ctx, dl).FirstErr()
}
