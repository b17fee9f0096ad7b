package streams

import (
	"context"
	"errors"
	"fmt"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/bus"
)

// ErrEmptyReplay is a replay whose filter selects no stream and no type:
// a replay must name what it re-delivers.
var ErrEmptyReplay = errors.New("streams: a replay needs a stream or a type")

// ReplayRequest says what to replay.
type ReplayRequest struct {
	Filter Filter
	// ID names the replay; it is the replayid extension of every event.
	// Required.
	ID string
	// DryRun reads and reports without delivering.
	DryRun bool
	// BatchSize is how many events go in one Publish, in order. Zero
	// means 10.
	BatchSize int
}

// ReplayReport is the outcome of a replay.
type ReplayReport struct {
	ID        string    `json:"replayId"`
	Selected  int       `json:"selected"`
	Delivered int       `json:"delivered"`
	Failed    int       `json:"failed"`
	Corrupt   []Corrupt `json:"corrupt,omitempty"`
	DryRun    bool      `json:"dryRun,omitempty"`
	// Errors are the first few delivery failures, "id: error".
	Errors []string `json:"errors,omitempty"`
}

// Marked returns a copy of e with the replay marker: the same id, source
// and data, plus replayed=true and replayid=id.
func Marked(e cloudevents.Event, id string) cloudevents.Event {
	m := e.Clone()
	m.SetExtension(ReplayedExtension, true)
	m.SetExtension(ReplayIDExtension, id)
	return m
}

// Replay re-delivers the archived events req selects to target, in archive
// order, each marked (see Marked). A corrupt record is skipped and reported;
// an event the target refuses is counted in Failed and the replay goes on.
// The error is non-nil for bad input or when the archive cannot be read.
func (a *Archive) Replay(ctx context.Context, req ReplayRequest, target bus.Publisher) (ReplayReport, error) {
	if len(req.Filter.Streams) == 0 && len(req.Filter.Types) == 0 {
		return ReplayReport{}, ErrEmptyReplay
	}
	if req.ID == "" {
		return ReplayReport{}, errors.New("streams: ReplayRequest.ID is required")
	}
	if target == nil && !req.DryRun {
		return ReplayReport{}, errors.New("streams: a replay needs a target")
	}
	res, err := a.Query(ctx, req.Filter)
	if err != nil {
		return ReplayReport{}, err
	}
	rep := ReplayReport{ID: req.ID, Selected: len(res.Records), Corrupt: res.Corrupt, DryRun: req.DryRun}
	if req.DryRun {
		return rep, nil
	}
	n := req.BatchSize
	if n <= 0 {
		n = 10
	}
	for start := 0; start < len(res.Records); start += n {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		recs := res.Records[start:min(start+n, len(res.Records))]
		evs := make([]cloudevents.Event, len(recs))
		for i, r := range recs {
			evs[i] = Marked(r.Event, req.ID)
		}
		results, err := target.Publish(ctx, evs)
		for i := range evs {
			var e error
			switch {
			case err != nil:
				e = err
			case i < len(results):
				e = results[i]
			}
			if e == nil {
				rep.Delivered++
				continue
			}
			rep.Failed++
			if len(rep.Errors) < 10 {
				rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %v", evs[i].ID(), e))
			}
		}
	}
	return rep, nil
}
