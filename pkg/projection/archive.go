package projection

import (
	"context"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/streams"
)

// ArchiveSource reads a rebuild's events from the archive of the bus
// (pkg/streams), streaming (Archive.Scan holds a batch at a time, never
// the whole archive), oldest first. Wrap it in Deduplicated: the archive
// keeps every delivery it saw, replays and redeliveries included.
//
// Each archived CloudEvent becomes a Record: Type, Data, Time (the
// archive time when the event has none), Recorded (the archive time), ID
// "<source> <id>" (a CloudEvent's identity, as the order model's ingest
// keys the event store) and Stream the archive stream. Positions are the
// record's ordinal in the scan (1, 2, ...): they only order the events,
// and mean nothing in the event store's feed.
type ArchiveSource struct {
	Archive *streams.Archive
	// Filter selects the events (streams, time range); zero selects the
	// whole archive.
	Filter  streams.Filter
	Options streams.ScanOptions
	// Report, when not nil, is set to the scan's report (how many records
	// were read, which were corrupt and skipped).
	Report *streams.ScanReport
}

// Scan implements Source.
func (a ArchiveSource) Scan(ctx context.Context, after int64, fn func([]eventstore.Record) (bool, error)) error {
	var pos int64
	rep, err := a.Archive.Scan(ctx, a.Filter, a.Options, func(recs []streams.Record) (bool, error) {
		out := make([]eventstore.Record, 0, len(recs))
		for _, r := range recs {
			pos++
			if pos <= after {
				continue
			}
			out = append(out, ArchivedRecord(r, pos))
		}
		if len(out) == 0 {
			return true, nil
		}
		return fn(out)
	})
	if a.Report != nil {
		*a.Report = rep
	}
	return err
}

// ArchivedRecord is the Record an archived event is to a projection, at
// position pos (see ArchiveSource).
func ArchivedRecord(r streams.Record, pos int64) eventstore.Record {
	return eventstore.Record{
		Stream:   r.Stream,
		Position: pos,
		Type:     r.Event.Type(),
		ID:       EventID(r.Event),
		Time:     eventTime(r),
		Recorded: r.ArchivedAt,
		Data:     r.Event.Data(),
	}
}

// EventID is a CloudEvent's identity: its source and id (CloudEvents
// makes the pair unique).
func EventID(e cloudevents.Event) string { return e.Source() + " " + e.ID() }

func eventTime(r streams.Record) (t time.Time) {
	if t = r.Event.Time(); t.IsZero() {
		t = r.ArchivedAt
	}
	return t
}
