package incident

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// MaxTimeline bounds an incident's timeline: an alert storm on one dedup key
// keeps its first entries and the newest, and counts the rest.
const MaxTimeline = 500

// Config configures a Manager.
type Config struct {
	// Store keeps incidents, dedup keys and the list index. Required.
	Store store.Store
	// Publish sends a change (nil: changes are only recorded).
	Publish func(ctx context.Context, in *Incident, c Change) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NewID makes incident ids; nil means "inc-" and 10 random base32
	// characters.
	NewID func() string
	// Severities maps alerts without a severity; nil means
	// DefaultSeverities.
	Severities *SeverityMap
	// Maintenance holds alerts of services in maintenance.
	Maintenance []Maintenance
}

// Manager opens, updates and resolves incidents. Safe for concurrent use
// across instances: every change is a conditional write, retried on
// conflict.
type Manager struct {
	store   store.Store
	publish func(ctx context.Context, in *Incident, c Change) error
	now     func() time.Time
	newID   func() string
	sev     *SeverityMap
	maint   []Maintenance
}

// New checks cfg and returns a Manager.
func New(cfg Config) (*Manager, error) {
	if cfg.Store == nil {
		return nil, errors.New("incident: Config.Store is required")
	}
	for i, m := range cfg.Maintenance {
		if err := m.Validate(); err != nil {
			return nil, fmt.Errorf("incident: maintenance[%d]: %w", i, err)
		}
	}
	m := &Manager{store: cfg.Store, publish: cfg.Publish, now: cfg.Now, newID: cfg.NewID, sev: cfg.Severities, maint: cfg.Maintenance}
	if m.now == nil {
		m.now = time.Now
	}
	if m.newID == nil {
		m.newID = randomID
	}
	if m.sev == nil {
		m.sev = DefaultSeverities()
	}
	return m, nil
}

func randomID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	var b [10]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[b[i]%32]
	}
	return "inc-" + string(b[:])
}

// Keys.
func incidentKey(id string) store.Key {
	return store.Key{Partition: "incident#" + id, Sort: "incident"}
}
func dedupKey(k string) store.Key  { return store.Key{Partition: "incident#dedup#" + k, Sort: "open"} }
func alertKey(id string) store.Key { return store.Key{Partition: "incident#alert#" + id, Sort: "seen"} }

const listPartition = "incident#list"

func listKey(in *Incident) store.Key {
	return store.Key{Partition: listPartition, Sort: in.CreatedAt.UTC().Format("20060102T150405.000000000Z") + "#" + in.ID}
}

// alertMarkerTTL is how long a processed alert's id is remembered.
const alertMarkerTTL = 14 * 24 * time.Hour

// maxAttempts bounds the conditional-write retries of one change: an
// alert storm on one dedup key makes every writer but one retry.
const maxAttempts = 50

// pause waits before a retry: nothing before the first attempt, then a
// random share of a window that grows to 50 ms, so writers that collided
// spread out instead of colliding again.
func pause(ctx context.Context, attempt int) error {
	if attempt == 0 {
		return ctx.Err()
	}
	window := time.Duration(min(attempt, 10)) * 5 * time.Millisecond
	t := time.NewTimer(time.Duration(mrand.Int64N(int64(window)) + 1))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Outcome says what an alert did.
type Outcome string

// The outcomes of Handle.
const (
	Opened    Outcome = "opened"
	Attached  Outcome = "attached"
	Closed    Outcome = "resolved"
	Duplicate Outcome = "duplicate" // the alert was handled before
	Held      Outcome = "held"      // the service is in maintenance
	Ignored   Outcome = "ignored"   // a resolve with no open incident
)

// Handle applies an alert: opens an incident, attaches to the open one with
// its dedup key, or resolves it. It returns the incident (nil when held or
// ignored) and what happened.
func (m *Manager) Handle(ctx context.Context, a Alert) (*Incident, Outcome, error) {
	if err := a.Validate(); err != nil {
		return nil, "", &Error{Name: ErrNameInvalidRequest, Message: "alert: " + err.Error()}
	}
	now := m.now()
	if a.Time.IsZero() {
		a.Time = now
	}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if err := pause(ctx, attempt); err != nil {
			return nil, "", err
		}
		in, out, err := m.handleOnce(ctx, a, now)
		if errors.Is(err, store.ErrConditionFailed) {
			continue // someone moved the incident or the key: read again
		}
		if err != nil {
			return nil, "", err
		}
		if in != nil && out != Duplicate {
			m.flush(ctx, in)
		}
		return in, out, nil
	}
	return nil, "", errorf(ErrNameConflict, "alert %s: the incident kept changing under %d attempts", a.ID, maxAttempts)
}

func (m *Manager) handleOnce(ctx context.Context, a Alert, now time.Time) (*Incident, Outcome, error) {
	if _, err := m.store.Get(ctx, alertKey(a.ID)); err == nil {
		// Seen: send what it left unpublished, change nothing.
		in, _, gerr := m.openFor(ctx, a.DedupKey)
		if gerr == nil && in != nil {
			m.flush(ctx, in)
		}
		return in, Duplicate, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, "", err
	}
	marker := store.Op{Kind: store.OpPut, Item: store.Item{Key: alertKey(a.ID), Value: []byte("1"), ExpiresAt: now.Add(alertMarkerTTL)}, Cond: store.Condition{IfAbsent: true}}
	in, version, err := m.openFor(ctx, a.DedupKey)
	if err != nil {
		return nil, "", err
	}
	if a.Action == ActionResolve {
		if in == nil {
			err := m.store.Transact(ctx, []store.Op{marker})
			return nil, Ignored, err
		}
		m.resolve(in, now, "alert:"+a.Source, "resolved by its alert", a)
		return in, Closed, m.write(ctx, in, version, marker)
	}
	if in != nil {
		in.Alerts++
		m.add(in, Entry{At: now, Kind: EntryAlert, Who: "alert:" + a.Source, Text: a.Title, Data: map[string]string{"alert": a.ID}})
		in.UpdatedAt = now
		in.Pending = append(in.Pending, Change{ID: a.ID, Kind: "updated", At: now, Text: "alert attached"})
		return in, Attached, m.write(ctx, in, version, marker)
	}
	for _, w := range m.maint {
		if w.Holds(a.Service, a.Time) {
			return nil, Held, m.store.Transact(ctx, []store.Op{marker})
		}
	}
	sev := a.Severity
	if sev == "" {
		sev = m.sev.Map(a.Source, a.SourceSeverity, a.Service)
	}
	in = &Incident{ID: m.newID(), Title: a.Title, Service: a.Service, Severity: sev, State: Triggered, Source: a.Source,
		DedupKey: a.DedupKey, Details: a.Details, Links: a.Links, CreatedAt: now, UpdatedAt: now, Alerts: 1}
	if a.SLO != "" {
		in.SLO = &SLOImpact{SLO: a.SLO, BudgetAtOpen: a.BudgetRemaining}
	}
	m.add(in, Entry{At: now, Kind: EntryTriggered, Who: "alert:" + a.Source, Text: a.Title,
		Data: map[string]string{"alert": a.ID, "severity": string(sev), "dedupKey": a.DedupKey}})
	in.Pending = append(in.Pending, Change{ID: in.ID + "/triggered", Kind: "triggered", At: now, Text: a.Title})
	b, err := json.Marshal(in)
	if err != nil {
		return nil, "", err
	}
	ops := []store.Op{
		marker,
		{Kind: store.OpPut, Item: store.Item{Key: dedupKey(a.DedupKey), Value: []byte(in.ID)}, Cond: store.Condition{IfAbsent: true}},
		{Kind: store.OpPut, Item: store.Item{Key: incidentKey(in.ID), Value: b}, Cond: store.Condition{IfAbsent: true}},
		m.indexOp(in),
	}
	return in, Opened, m.store.Transact(ctx, ops)
}

// openFor returns the open incident with a dedup key, if any.
func (m *Manager) openFor(ctx context.Context, key string) (*Incident, int64, error) {
	it, err := m.store.Get(ctx, dedupKey(key))
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	in, version, err := m.load(ctx, string(it.Value))
	var ie *Error
	if errors.As(err, &ie) && ie.Name == ErrNameNotFound {
		return nil, 0, nil
	}
	if err != nil || in.State == Resolved {
		return nil, 0, err
	}
	return in, version, nil
}

func (m *Manager) load(ctx context.Context, id string) (*Incident, int64, error) {
	it, err := m.store.Get(ctx, incidentKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, errorf(ErrNameNotFound, "no incident %q", id)
	}
	if err != nil {
		return nil, 0, err
	}
	var in Incident
	if err := json.Unmarshal(it.Value, &in); err != nil {
		return nil, 0, fmt.Errorf("incident %s: %w", id, err)
	}
	return &in, it.Version, nil
}

func (m *Manager) indexOp(in *Incident) store.Op {
	b, _ := json.Marshal(in.Summarize())
	return store.Op{Kind: store.OpPut, Item: store.Item{Key: listKey(in), Value: b}}
}

// write stores a changed incident and its index entry; extra ops ride in
// the same transaction. When it resolves, the dedup key is freed so the
// next alert with it opens a new incident.
func (m *Manager) write(ctx context.Context, in *Incident, version int64, extra ...store.Op) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	ops := append(extra, store.Op{Kind: store.OpPut, Item: store.Item{Key: incidentKey(in.ID), Value: b}, Cond: store.Condition{IfVersion: version}}, m.indexOp(in))
	if in.State == Resolved {
		ops = append(ops, store.Op{Kind: store.OpDelete, Item: store.Item{Key: dedupKey(in.DedupKey)}})
	}
	return m.store.Transact(ctx, ops)
}

// add appends to the timeline, keeping it within MaxTimeline.
func (m *Manager) add(in *Incident, e Entry) {
	if len(in.Timeline) >= MaxTimeline {
		// Keep the first half, drop the oldest of the rest.
		half := MaxTimeline / 2
		in.Timeline = append(in.Timeline[:half], in.Timeline[half+1:]...)
	}
	in.Timeline = append(in.Timeline, e)
}

func (m *Manager) resolve(in *Incident, now time.Time, who, text string, a Alert) {
	in.State, in.ResolvedAt, in.ResolvedBy, in.UpdatedAt = Resolved, &now, who, now
	if in.SLO != nil && a.BudgetRemaining != nil {
		in.SLO.BudgetAtResolve = a.BudgetRemaining
	}
	data := map[string]string{}
	if a.ID != "" {
		data["alert"] = a.ID
	}
	m.add(in, Entry{At: now, Kind: EntryResolved, Who: who, Text: text, Data: data})
	in.Pending = append(in.Pending, Change{ID: in.ID + "/resolved", Kind: "resolved", At: now, Who: who, Text: text})
}

// flush publishes the pending changes and clears them (best effort: what
// fails stays pending for the next change).
func (m *Manager) flush(ctx context.Context, in *Incident) {
	if m.publish == nil || len(in.Pending) == 0 {
		return
	}
	for len(in.Pending) > 0 {
		if err := m.publish(ctx, in, in.Pending[0]); err != nil {
			return
		}
		done := in.Pending[0].ID
		// Clear it in the store; a conflict means someone else changed the
		// incident and will flush what is left.
		cur, version, err := m.load(ctx, in.ID)
		if err != nil {
			return
		}
		kept := cur.Pending[:0]
		for _, c := range cur.Pending {
			if c.ID != done {
				kept = append(kept, c)
			}
		}
		cur.Pending = kept
		b, _ := json.Marshal(cur)
		if _, err := m.store.Put(ctx, store.Item{Key: incidentKey(in.ID), Value: b}, store.Condition{IfVersion: version}); err != nil {
			return
		}
		*in = *cur
	}
}

// Get returns one incident.
func (m *Manager) Get(ctx context.Context, id string) (*Incident, error) {
	in, _, err := m.load(ctx, id)
	return in, err
}

// update applies f to an incident with a conditional write, retried on
// conflict; f returns an *Error to refuse the change (state untouched).
func (m *Manager) update(ctx context.Context, id string, f func(in *Incident, now time.Time) error) (*Incident, error) {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if err := pause(ctx, attempt); err != nil {
			return nil, err
		}
		in, version, err := m.load(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := f(in, m.now()); err != nil {
			return nil, err
		}
		err = m.write(ctx, in, version)
		if errors.Is(err, store.ErrConditionFailed) {
			continue
		}
		if err != nil {
			return nil, err
		}
		m.flush(ctx, in)
		return in, nil
	}
	return nil, errorf(ErrNameConflict, "incident %s kept changing under %d attempts", id, maxAttempts)
}

// Acknowledge marks an incident acknowledged by who: escalation stops. An
// ack of an acknowledged incident changes nothing; of a resolved one it is
// refused.
func (m *Manager) Acknowledge(ctx context.Context, id, who string) (*Incident, error) {
	if who == "" {
		return nil, errorf(ErrNameInvalidRequest, "acknowledge %s: who acknowledges is required", id)
	}
	return m.update(ctx, id, func(in *Incident, now time.Time) error {
		switch in.State {
		case Resolved:
			return errorf(ErrNameInvalidTransition, "incident %s is resolved: it cannot be acknowledged", id)
		case Acknowledged:
			return nil
		}
		in.State, in.AcknowledgedAt, in.AcknowledgedBy, in.UpdatedAt = Acknowledged, &now, who, now
		m.add(in, Entry{At: now, Kind: EntryAcknowledged, Who: who})
		in.Pending = append(in.Pending, Change{ID: in.ID + "/acknowledged", Kind: "acknowledged", At: now, Who: who})
		return nil
	})
}

// Resolve resolves an incident: escalation ends, and the next alert with
// its dedup key opens a new one. Resolving a resolved incident is refused.
func (m *Manager) Resolve(ctx context.Context, id, who, text string) (*Incident, error) {
	if who == "" {
		return nil, errorf(ErrNameInvalidRequest, "resolve %s: who resolves is required", id)
	}
	return m.update(ctx, id, func(in *Incident, now time.Time) error {
		if in.State == Resolved {
			return errorf(ErrNameInvalidTransition, "incident %s is already resolved", id)
		}
		m.resolve(in, now, who, text, Alert{})
		return nil
	})
}

// Note adds a note to the timeline.
func (m *Manager) Note(ctx context.Context, id, who, text string) (*Incident, error) {
	if strings.TrimSpace(text) == "" || who == "" {
		return nil, errorf(ErrNameInvalidRequest, "note on %s: who and a non-empty text are required", id)
	}
	return m.update(ctx, id, func(in *Incident, now time.Time) error {
		in.UpdatedAt = now
		m.add(in, Entry{At: now, Kind: EntryNote, Who: who, Text: text})
		return nil
	})
}

// Record adds a timeline entry from another part of the capability (a
// notification's outcome, an escalation step).
func (m *Manager) Record(ctx context.Context, id string, e Entry) (*Incident, error) {
	return m.update(ctx, id, func(in *Incident, now time.Time) error {
		if e.At.IsZero() {
			e.At = now
		}
		in.UpdatedAt = now
		m.add(in, e)
		return nil
	})
}

// SetReview stores the post-incident review.
func (m *Manager) SetReview(ctx context.Context, id, who string, r Review) (*Incident, error) {
	if strings.TrimSpace(r.Summary) == "" {
		return nil, errorf(ErrNameInvalidRequest, "review of %s: summary is required", id)
	}
	for i, a := range r.ActionItems {
		if a.Title == "" || a.Owner == "" {
			return nil, errorf(ErrNameInvalidRequest, "review of %s: actionItems[%d]: title and owner are required", id, i)
		}
		if a.Due != "" {
			if _, err := time.Parse("2006-01-02", a.Due); err != nil {
				return nil, errorf(ErrNameInvalidRequest, "review of %s: actionItems[%d].due: %q is not YYYY-MM-DD", id, i, a.Due)
			}
		}
	}
	return m.update(ctx, id, func(in *Incident, now time.Time) error {
		in.Review = &r
		in.UpdatedAt = now
		m.add(in, Entry{At: now, Kind: EntryReview, Who: who, Text: "review updated"})
		return nil
	})
}

// Filter selects incidents in List; zero fields match all.
type Filter struct {
	State    State
	Service  string
	Severity Severity
	// Since keeps incidents created at or after it.
	Since time.Time
}

// List returns incident summaries, newest first.
func (m *Manager) List(ctx context.Context, f Filter) ([]Summary, error) {
	items, err := m.store.Query(ctx, listPartition, "", 0)
	if err != nil {
		return nil, err
	}
	out := []Summary{}
	for i := len(items) - 1; i >= 0; i-- {
		var s Summary
		if err := json.Unmarshal(items[i].Value, &s); err != nil {
			return nil, fmt.Errorf("incident index %s: %w", items[i].Key.Sort, err)
		}
		if (f.State != "" && s.State != f.State) || (f.Service != "" && s.Service != f.Service) ||
			(f.Severity != "" && s.Severity != f.Severity) || (!f.Since.IsZero() && s.CreatedAt.Before(f.Since)) {
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

// Metric is MTTA and MTTR of a group of incidents.
type Metric struct {
	Service  string   `json:"service"`
	Severity Severity `json:"severity"`
	Count    int      `json:"count"`
	// Acknowledged and Resolved count the incidents the means are over.
	Acknowledged int `json:"acknowledged"`
	Resolved     int `json:"resolved"`
	// MTTA and MTTR are mean times to acknowledge and to resolve, in
	// seconds (0 when none).
	MTTASeconds float64 `json:"mttaSeconds"`
	MTTRSeconds float64 `json:"mttrSeconds"`
}

// Metrics groups the incidents f selects by service and severity.
func (m *Manager) Metrics(ctx context.Context, f Filter) ([]Metric, error) {
	list, err := m.List(ctx, f)
	if err != nil {
		return nil, err
	}
	type k struct {
		svc string
		sev Severity
	}
	groups := map[k]*Metric{}
	for _, s := range list {
		g := groups[k{s.Service, s.Severity}]
		if g == nil {
			g = &Metric{Service: s.Service, Severity: s.Severity}
			groups[k{s.Service, s.Severity}] = g
		}
		g.Count++
		if s.AcknowledgedAt != nil {
			g.Acknowledged++
			g.MTTASeconds += s.AcknowledgedAt.Sub(s.CreatedAt).Seconds()
		}
		if s.ResolvedAt != nil {
			g.Resolved++
			g.MTTRSeconds += s.ResolvedAt.Sub(s.CreatedAt).Seconds()
		}
	}
	out := []Metric{}
	for _, g := range groups {
		if g.Acknowledged > 0 {
			g.MTTASeconds /= float64(g.Acknowledged)
		}
		if g.Resolved > 0 {
			g.MTTRSeconds /= float64(g.Resolved)
		}
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		return out[i].Severity < out[j].Severity
	})
	return out, nil
}
