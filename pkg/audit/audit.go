// Package audit keeps the trail of who did what to a secret or a
// configuration parameter: every rotation step, rollback and configuration
// write becomes a record stored in the store's "audit" partition (so the
// CLI can list it with no bus) and published as a
// dev.cogniforge.audit.recorded.v1 event. A record names the principal,
// the action, the secret or parameter, the time and the outcome; it never
// holds a value, so the trail is safe to ship anywhere. Vault and
// ParameterStore decorate the secrets and configuration ports so that every
// read is recorded too (secret.read; config.read on each store fetch under
// a config.Loader, never on a cache hit). In AWS, CloudTrail remains the
// source of truth for the API calls themselves.
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/uuid"

	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// Partition is the store partition holding the records.
const Partition = "audit"

// Source is the CloudEvents source of audit events.
const Source = "cogniforge/audit"

// Record is one audited action.
type Record = events.AuditRecord

// Recorder stores and publishes records. Store is required; Bus may be
// nil (the CLI with no runtime), then records are only stored.
type Recorder struct {
	Store store.Store
	Bus   bus.Publisher
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Record stamps r with the time when it has none, stores it and publishes
// it. The sort key starts with the time so List returns records in order;
// a random suffix keeps two records of the same instant apart.
func (rc *Recorder) Record(ctx context.Context, r Record) error {
	if rc == nil || rc.Store == nil {
		return errors.New("audit: no store")
	}
	if r.Who == "" || r.What == "" {
		return errors.New("audit: a record needs who and what")
	}
	now := time.Now
	if rc.Now != nil {
		now = rc.Now
	}
	when := now().UTC()
	if r.When == "" {
		r.When = when.Format(time.RFC3339Nano)
	} else if t, err := time.Parse(time.RFC3339Nano, r.When); err == nil {
		when = t.UTC()
	}
	if r.Outcome == "" {
		r.Outcome = events.OutcomeSucceeded
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	id := uuid.NewString()
	key := store.Key{Partition: Partition, Sort: when.Format("2006-01-02T15:04:05.000000000Z") + "#" + id}
	if _, err := rc.Store.Put(ctx, store.Item{Key: key, Value: b}, store.Condition{}); err != nil {
		return fmt.Errorf("audit: store: %w", err)
	}
	if rc.Bus == nil {
		return nil
	}
	subject := r.SecretID
	if subject == "" {
		subject = r.Key
	}
	opts := []events.Option{events.ID(id), events.Time(when)}
	if subject != "" {
		opts = append(opts, events.Subject(subject))
	}
	ev, err := events.New(ctx, events.TypeAuditRecorded, Source, r, opts...)
	if err != nil {
		return err
	}
	errs, err := rc.Bus.Publish(ctx, []cloudevents.Event{ev})
	if err != nil {
		return fmt.Errorf("audit: publish: %w", err)
	}
	return errors.Join(errs...)
}

// Filter selects records: Secret matches SecretID or Key exactly when set;
// Since keeps records at or after it when not zero.
type Filter struct {
	Secret string
	Since  time.Time
}

// List returns the stored records that match f, oldest first.
func List(ctx context.Context, st store.Store, f Filter) ([]Record, error) {
	items, err := st.Query(ctx, Partition, "", 0)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	var out []Record
	for _, it := range items {
		var r Record
		if err := json.Unmarshal(it.Value, &r); err != nil {
			return nil, fmt.Errorf("audit: record %s: %w", it.Key.Sort, err)
		}
		if f.Secret != "" && r.SecretID != f.Secret && r.Key != f.Secret {
			continue
		}
		if !f.Since.IsZero() {
			t, err := time.Parse(time.RFC3339Nano, r.When)
			if err != nil || t.Before(f.Since) {
				continue
			}
		}
		out = append(out, r)
	}
	return out, nil
}
