package apigov

import (
	"context"
	"errors"
	"fmt"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/apidiff"
	"github.com/cogniforge/cogniforge/pkg/events"
)

// Audited is the data of AuditedType: one spec's audit.
type Audited struct {
	API         string    `json:"api"`
	Version     string    `json:"version"`
	Spec        string    `json:"spec"`
	SpecSHA256  string    `json:"specSha256"`
	Score       int       `json:"score"`
	Counts      Counts    `json:"counts"`
	TopFindings []Finding `json:"topFindings"`
	Breaking    int       `json:"breaking"`
	Error       string    `json:"error,omitempty"`
	AuditedAt   time.Time `json:"auditedAt"`
}

// BreakingChange is the data of BreakingChangeType: one breaking change
// between two versions of a spec, with the callers it would affect when
// they are known.
type BreakingChange struct {
	API            string                `json:"api"`
	Version        string                `json:"version"`
	ID             string                `json:"id"`
	Operation      string                `json:"operation,omitempty"`
	OperationID    string                `json:"operationId,omitempty"`
	Message        string                `json:"message"`
	Level          string                `json:"level"`
	Callers        []apidiff.CallerUsage `json:"callers"`
	SpecSHA256     string                `json:"specSha256"`
	PreviousSHA256 string                `json:"previousSha256"`
	DetectedAt     time.Time             `json:"detectedAt"`
}

// publish sends the audited event and one event per new breaking change.
// Ids derive from the spec texts, so a redelivered change publishes the
// same ids; breaking changes carried over from an earlier audit of the
// same text are not published again.
func (g *Governor) publish(ctx context.Context, r Report, fresh bool) error {
	if g.cfg.Bus == nil {
		return nil
	}
	top := r.Findings
	if len(top) > TopFindings {
		top = top[:TopFindings]
	}
	subject := id(r.API, r.Version)
	a := Audited{API: r.API, Version: r.Version, Spec: r.Spec, SpecSHA256: r.SpecSHA256, Score: r.Score, Counts: r.Counts,
		TopFindings: top, Breaking: len(r.Breaking), Error: r.Error, AuditedAt: r.AuditedAt}
	day := r.AuditedAt.Format(time.DateOnly)
	ev, err := events.New(ctx, AuditedType, EventSource, a, events.ID(eventID("audited", subject, r.SpecSHA256, day)),
		events.Time(r.AuditedAt), events.Subject(subject))
	if err != nil {
		return err
	}
	evs := []cloudevents.Event{ev}
	if fresh {
		for _, c := range r.Breaking {
			callers := c.Callers
			if callers == nil {
				callers = []apidiff.CallerUsage{}
			}
			d := BreakingChange{API: r.API, Version: r.Version, ID: c.ID, Operation: c.Operation, OperationID: c.OperationID,
				Message: c.Message, Level: c.Level, Callers: callers, SpecSHA256: r.SpecSHA256, PreviousSHA256: r.PreviousSHA256, DetectedAt: r.AuditedAt}
			ev, err := events.New(ctx, BreakingChangeType, EventSource, d,
				events.ID(eventID("breaking", subject, r.PreviousSHA256, r.SpecSHA256, c.ID, c.Operation, c.Message)),
				events.Time(r.AuditedAt), events.Subject(subject), events.CausedBy(evs[0]))
			if err != nil {
				return err
			}
			evs = append(evs, ev)
		}
	}
	errs, err := g.cfg.Bus.Publish(ctx, evs)
	if err != nil {
		return fmt.Errorf("apigov: publish: %w", err)
	}
	return errors.Join(errs...)
}

func eventID(parts ...string) string {
	b := []byte{}
	for _, p := range parts {
		b = append(b, p...)
		b = append(b, 0)
	}
	return sha(b)[:32]
}
