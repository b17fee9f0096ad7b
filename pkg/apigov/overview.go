package apigov

import (
	"context"
	"sort"
	"time"
)

// APIStatus is one API version in the overview.
type APIStatus struct {
	API     string `json:"api"`
	Version string `json:"version"`
	// State is the catalog's lifecycle state now (active, deprecated,
	// sunset, retired); empty for an API the catalog does not list.
	State    string `json:"state,omitempty"`
	Function string `json:"function,omitempty"`
	Spec     string `json:"spec,omitempty"`
	// Audited is false until the auditor has a report; then the rest is
	// the latest report's.
	Audited   bool       `json:"audited"`
	Score     int        `json:"score"`
	Counts    Counts     `json:"counts"`
	LastAudit *time.Time `json:"lastAudit,omitempty"`
	// BreakingPending counts the breaking changes of the spec's latest
	// change.
	BreakingPending int    `json:"breakingPending"`
	Error           string `json:"error,omitempty"`
}

// Overview is every API the catalog lists or the auditor has a report of.
type Overview struct {
	APIs []APIStatus `json:"apis"`
	// Score is the mean score of the audited APIs (0 when none is).
	Score int `json:"score"`
	// Counts sums the findings of every API.
	Counts Counts `json:"counts"`
	// BreakingPending sums the APIs' pending breaking changes.
	BreakingPending int       `json:"breakingPending"`
	GeneratedAt     time.Time `json:"generatedAt"`
}

// Overview lists every API version with its latest report.
func (g *Governor) Overview(ctx context.Context) (Overview, error) {
	now := g.cfg.Now().UTC()
	reports, err := g.Reports(ctx)
	if err != nil {
		return Overview{}, err
	}
	return BuildOverview(g.cfg, reports, now), nil
}

// BuildOverview joins the catalog with reports (the CLI uses it on reports
// it made itself).
func BuildOverview(cfg Config, reports []Report, now time.Time) Overview {
	byID := map[string]Report{}
	for _, r := range reports {
		byID[id(r.API, r.Version)] = r
	}
	ov := Overview{APIs: []APIStatus{}, GeneratedAt: now}
	seen := map[string]bool{}
	add := func(s APIStatus) {
		if r, ok := byID[id(s.API, s.Version)]; ok {
			at := r.AuditedAt
			s.Audited, s.Score, s.Counts, s.LastAudit, s.BreakingPending, s.Error = true, r.Score, r.Counts, &at, len(r.Breaking), r.Error
			if s.Spec == "" {
				s.Spec = r.Spec
			}
		}
		ov.APIs = append(ov.APIs, s)
		seen[id(s.API, s.Version)] = true
	}
	if cfg.Catalog != nil {
		for _, e := range cfg.Catalog.Entries {
			add(APIStatus{API: e.Name, Version: e.Version, State: string(e.StateAt(now)), Function: e.Function, Spec: e.Spec})
		}
	}
	var rest []Report
	for _, r := range reports {
		if !seen[id(r.API, r.Version)] {
			rest = append(rest, r)
		}
	}
	sort.Slice(rest, func(i, j int) bool { return id(rest[i].API, rest[i].Version) < id(rest[j].API, rest[j].Version) })
	for _, r := range rest {
		add(APIStatus{API: r.API, Version: r.Version})
	}
	sum, n := 0, 0
	for _, s := range ov.APIs {
		ov.Counts.Error += s.Counts.Error
		ov.Counts.Warning += s.Counts.Warning
		ov.Counts.Info += s.Counts.Info
		ov.BreakingPending += s.BreakingPending
		if s.Audited {
			sum += s.Score
			n++
		}
	}
	if n > 0 {
		ov.Score = sum / n
	}
	return ov
}

// ReportFor returns the latest report of an API: of version when given,
// else of its newest audited version the catalog lists as active, else of
// any version.
func (g *Governor) ReportFor(ctx context.Context, api, version string) (Report, error) {
	if version != "" {
		return g.Report(ctx, api, version)
	}
	reports, err := g.Reports(ctx)
	if err != nil {
		return Report{}, err
	}
	var best *Report
	for i := range reports {
		r := &reports[i]
		if r.API != api {
			continue
		}
		if best == nil || g.preferred(r, best) {
			best = r
		}
	}
	if best == nil {
		return Report{}, errorNotFound(api)
	}
	return *best, nil
}

func (g *Governor) preferred(a, b *Report) bool {
	active := func(r *Report) bool {
		if g.cfg.Catalog == nil {
			return false
		}
		e, ok := g.cfg.Catalog.Lookup(r.API, r.Version)
		return ok && e.StateAt(g.cfg.Now()) == "active"
	}
	if active(a) != active(b) {
		return active(a)
	}
	return a.Version > b.Version
}
