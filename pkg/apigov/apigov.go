package apigov

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apicatalog"
	"github.com/cogniforge/cogniforge/pkg/apidiff"
	"github.com/cogniforge/cogniforge/pkg/bus"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// Event types and the source of the events the auditor publishes.
const (
	SpecChangedType    = events.TypeAPISpecChanged
	AuditedType        = events.TypeAPIAudited
	BreakingChangeType = events.TypeAPIBreakingChange
	QueryType          = events.TypeAPIGovernanceQuery
	EventSource        = "cogniforge/governance-auditor"
)

// Severities of findings.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
	SeverityInfo    = "info"
)

// TopFindings is how many findings an audited event carries (most severe
// first); the stored report keeps them all.
const TopFindings = 5

// DefaultImpactDays is how far back calls count towards client impact.
const DefaultImpactDays = 30

// MaxStoredSpecBytes is the largest spec text kept for the next diff (a
// store item's limit, DynamoDB's 400 KB, with room for the key); a larger
// spec is audited and diffed, but the next change cannot be diffed against
// it unless the event carries the previous text.
const MaxStoredSpecBytes = 350 << 10

// Finding is one audit finding (the shape of pkg/governance.Finding).
type Finding struct {
	Rule     string `json:"rule"`
	Category string `json:"category"`
	Severity string `json:"severity"`
	Path     string `json:"path"`
	Message  string `json:"message"`
	Line     int    `json:"line,omitempty"`
	Hint     string `json:"hint,omitempty"`
}

// AuditReport is the audit of one spec (the shape of
// pkg/governance.Report).
type AuditReport struct {
	Spec     string    `json:"spec"`
	Score    int       `json:"score"`
	Findings []Finding `json:"findings"`
}

// AuditFunc audits one spec; name labels it. An error means the spec could
// not be read (not OpenAPI, too large, ...).
type AuditFunc func(ctx context.Context, name string, spec []byte) (AuditReport, error)

// DiffFunc compares two versions of a spec; apidiff.Compare is the default.
type DiffFunc func(ctx context.Context, old, new []byte) (apidiff.Result, error)

// Counts are findings by severity.
type Counts struct {
	Error   int `json:"error"`
	Warning int `json:"warning"`
	Info    int `json:"info"`
}

// Report is what the auditor keeps per API version: the latest audit, and
// the breaking changes of the latest change of its spec.
type Report struct {
	API     string `json:"api"`
	Version string `json:"version"`
	// Spec is the spec's file name (catalog) or the name the change gave.
	Spec string `json:"spec"`
	// SpecSHA256 identifies the audited text.
	SpecSHA256 string    `json:"specSha256"`
	Score      int       `json:"score"`
	Counts     Counts    `json:"counts"`
	Findings   []Finding `json:"findings"`
	// Error is why the spec could not be audited (then Score is 0).
	Error     string    `json:"error,omitempty"`
	AuditedAt time.Time `json:"auditedAt"`
	// Breaking are the breaking changes from the previous version of the
	// spec to this one, with their callers; empty when there was no
	// previous version or nothing broke.
	Breaking []apidiff.Change `json:"breaking"`
	// PreviousSHA256 is the version Breaking was computed against.
	PreviousSHA256 string `json:"previousSha256,omitempty"`
	// DiffError is why the diff could not be made.
	DiffError string `json:"diffError,omitempty"`
}

// SpecChange is the data of SpecChangedType: a new version of an API's
// spec, with the previous text when the producer has it (else the one the
// auditor stored last is used).
type SpecChange struct {
	API      string `json:"api"`
	Version  string `json:"version"`
	SpecName string `json:"specName,omitempty"`
	Spec     string `json:"spec"`
	Previous string `json:"previousSpec,omitempty"`
}

// Validate names the first missing field.
func (c SpecChange) Validate() error {
	var errs []error
	if c.API == "" {
		errs = append(errs, &FieldError{Field: "api", Err: errors.New("required")})
	}
	if c.Version == "" {
		errs = append(errs, &FieldError{Field: "version", Err: errors.New("required")})
	}
	if strings.TrimSpace(c.Spec) == "" {
		errs = append(errs, &FieldError{Field: "spec", Err: errors.New("required")})
	}
	return errors.Join(errs...)
}

// FieldError is bad input naming its field.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// ErrNotFound is an API or version the auditor has no report of.
var ErrNotFound = errors.New("apigov: no report")

// Config is what a Governor needs.
type Config struct {
	// Store keeps reports, the last spec text per API version and the call
	// tally. Required.
	Store store.Store
	// Bus receives the audited and breaking-change events; nil publishes
	// nothing.
	Bus bus.Publisher
	// Audit audits a spec. Required.
	Audit AuditFunc
	// Diff compares specs; nil means apidiff.Compare.
	Diff DiffFunc
	// Catalog lists the APIs; Specs holds the files it names (api.Files).
	// AuditAll audits each; the overview lists each. Nil Catalog: only the
	// APIs changes were received for.
	Catalog *apicatalog.Catalog
	Specs   fs.FS
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ImpactDays is how far back calls count (0: DefaultImpactDays).
	ImpactDays int
}

// Governor audits and diffs specs and keeps their reports.
type Governor struct {
	cfg Config
}

// New checks cfg and returns a Governor.
func New(cfg Config) (*Governor, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("apigov: Config.Store is required"))
	}
	if cfg.Audit == nil {
		errs = append(errs, errors.New("apigov: Config.Audit is required"))
	}
	if cfg.Catalog != nil && cfg.Specs == nil {
		errs = append(errs, errors.New("apigov: Config.Specs is required with a Catalog"))
	}
	if cfg.ImpactDays < 0 {
		errs = append(errs, fmt.Errorf("apigov: Config.ImpactDays %d is negative", cfg.ImpactDays))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Diff == nil {
		cfg.Diff = apidiff.Compare
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ImpactDays == 0 {
		cfg.ImpactDays = DefaultImpactDays
	}
	return &Governor{cfg: cfg}, nil
}

// Store layout: one partition for reports, one for the last spec text,
// keyed by "api/version".
const (
	reportPartition = "apigov#report"
	specPartition   = "apigov#spec"
)

func id(api, version string) string { return api + "/" + version }

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// SpecChanged audits the new spec, diffs it against the previous one (the
// change's, else the stored one), keeps the report and publishes the
// events. Bad input in the change is a *FieldError; a spec that cannot be
// audited is not an error but a report saying why.
func (g *Governor) SpecChanged(ctx context.Context, c SpecChange) (Report, error) {
	if err := c.Validate(); err != nil {
		return Report{}, err
	}
	name := c.SpecName
	if name == "" {
		name = id(c.API, c.Version)
	}
	var prev []byte
	if c.Previous != "" {
		prev = []byte(c.Previous)
	}
	return g.process(ctx, c.API, c.Version, name, []byte(c.Spec), prev)
}

// AuditAll audits every spec of the catalog (the daily schedule): each is
// diffed against the text stored last when that differs. Reports come in
// catalog order; one failing spec does not stop the others (its report
// says why), only store and bus failures are errors.
func (g *Governor) AuditAll(ctx context.Context) ([]Report, error) {
	if g.cfg.Catalog == nil {
		return nil, nil
	}
	var out []Report
	var errs []error
	for _, e := range g.cfg.Catalog.Entries {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		data, err := fs.ReadFile(g.cfg.Specs, e.Spec)
		if err != nil {
			data = nil
		}
		r, err := g.process(ctx, e.Name, e.Version, e.Spec, data, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id(e.Name, e.Version), err))
			continue
		}
		out = append(out, r)
	}
	return out, errors.Join(errs...)
}

func (g *Governor) process(ctx context.Context, api, version, name string, spec, prev []byte) (Report, error) {
	now := g.cfg.Now().UTC()
	r := Report{API: api, Version: version, Spec: name, SpecSHA256: sha(spec), AuditedAt: now, Findings: []Finding{}, Breaking: []apidiff.Change{}}
	if spec == nil {
		r.Error = "spec file " + name + " is missing"
	} else if a, err := g.cfg.Audit(ctx, name, spec); err != nil {
		if ctx.Err() != nil {
			return Report{}, ctx.Err()
		}
		r.Error = err.Error()
	} else {
		r.Score = a.Score
		r.Findings = append(r.Findings, a.Findings...)
		sortFindings(r.Findings)
		r.Counts = count(r.Findings)
	}
	old, err := g.lastSpec(ctx, api, version)
	if err != nil {
		return Report{}, err
	}
	if prev == nil && old != nil && sha(old) != r.SpecSHA256 {
		prev = old
	}
	fresh := false
	if prev != nil && spec != nil {
		r.PreviousSHA256 = sha(prev)
		res, err := g.cfg.Diff(ctx, prev, spec)
		switch {
		case err != nil && ctx.Err() != nil:
			return Report{}, ctx.Err()
		case err != nil:
			r.DiffError = err.Error()
		default:
			calls, err := g.Calls(ctx, api, now.AddDate(0, 0, -g.cfg.ImpactDays))
			if err != nil {
				return Report{}, err
			}
			res.AddImpact(api, calls, now.AddDate(0, 0, -g.cfg.ImpactDays))
			r.Breaking, fresh = res.Breaking, true
		}
	} else if prevReport, err := g.Report(ctx, api, version); err == nil && prevReport.SpecSHA256 == r.SpecSHA256 {
		// The same text again (the daily audit): its breaking changes stay
		// pending until a new version replaces them.
		r.Breaking, r.PreviousSHA256 = prevReport.Breaking, prevReport.PreviousSHA256
	}
	if err := g.save(ctx, r, spec); err != nil {
		return Report{}, err
	}
	if err := g.publish(ctx, r, fresh); err != nil {
		return r, err
	}
	return r, nil
}

func sortFindings(fs []Finding) {
	rank := map[string]int{SeverityError: 0, SeverityWarning: 1, SeverityInfo: 2}
	sort.SliceStable(fs, func(i, j int) bool {
		ri, ok := rank[fs[i].Severity]
		if !ok {
			ri = 3
		}
		rj, ok := rank[fs[j].Severity]
		if !ok {
			rj = 3
		}
		return ri < rj
	})
}

func count(fs []Finding) Counts {
	var c Counts
	for _, f := range fs {
		switch f.Severity {
		case SeverityError:
			c.Error++
		case SeverityWarning:
			c.Warning++
		case SeverityInfo:
			c.Info++
		}
	}
	return c
}

func (g *Governor) lastSpec(ctx context.Context, api, version string) ([]byte, error) {
	it, err := g.cfg.Store.Get(ctx, store.Key{Partition: specPartition, Sort: id(api, version)})
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("apigov: read the last spec of %s: %w", id(api, version), err)
	}
	return it.Value, nil
}

func (g *Governor) save(ctx context.Context, r Report, spec []byte) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := g.cfg.Store.Put(ctx, store.Item{Key: store.Key{Partition: reportPartition, Sort: id(r.API, r.Version)}, Value: b}, store.Condition{}); err != nil {
		return fmt.Errorf("apigov: keep the report of %s: %w", id(r.API, r.Version), err)
	}
	if spec == nil || r.Error != "" || len(spec) > MaxStoredSpecBytes {
		// Keep the last readable version to diff the next one against.
		return nil
	}
	if _, err := g.cfg.Store.Put(ctx, store.Item{Key: store.Key{Partition: specPartition, Sort: id(r.API, r.Version)}, Value: spec}, store.Condition{}); err != nil {
		return fmt.Errorf("apigov: keep the spec of %s: %w", id(r.API, r.Version), err)
	}
	return nil
}

// Report returns the latest report of an API version, or ErrNotFound.
func (g *Governor) Report(ctx context.Context, api, version string) (Report, error) {
	it, err := g.cfg.Store.Get(ctx, store.Key{Partition: reportPartition, Sort: id(api, version)})
	if errors.Is(err, store.ErrNotFound) {
		return Report{}, fmt.Errorf("%w of %s", ErrNotFound, id(api, version))
	}
	if err != nil {
		return Report{}, err
	}
	var r Report
	if err := json.Unmarshal(it.Value, &r); err != nil {
		return Report{}, fmt.Errorf("apigov: stored report of %s: %w", id(api, version), err)
	}
	return r, nil
}

// Reports returns every stored report, by API and version.
func (g *Governor) Reports(ctx context.Context) ([]Report, error) {
	items, err := g.cfg.Store.Query(ctx, reportPartition, "", 0)
	if err != nil {
		return nil, err
	}
	out := make([]Report, 0, len(items))
	for _, it := range items {
		var r Report
		if err := json.Unmarshal(it.Value, &r); err != nil {
			return nil, fmt.Errorf("apigov: stored report %s: %w", it.Key.Sort, err)
		}
		out = append(out, r)
	}
	return out, nil
}
