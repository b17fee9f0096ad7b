package incident

import (
	"fmt"
	"strings"
	"time"
)

// Markdown writes the post-incident review of in: summary, impact (with
// the SLO budget it consumed), contributing factors, action items and the
// whole timeline.
func Markdown(in *Incident) string {
	var b strings.Builder
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }
	fmt.Fprintf(&b, "# %s: %s\n\n", in.ID, md(in.Title))
	fmt.Fprintf(&b, "| | |\n|---|---|\n| Severity | %s |\n| Service | %s |\n| State | %s |\n| Opened | %s |\n", in.Severity, md(in.Service), in.State, ts(in.CreatedAt))
	if in.AcknowledgedAt != nil {
		fmt.Fprintf(&b, "| Acknowledged | %s by %s (after %s) |\n", ts(*in.AcknowledgedAt), md(in.AcknowledgedBy), in.AcknowledgedAt.Sub(in.CreatedAt).Round(time.Second))
	}
	if in.ResolvedAt != nil {
		fmt.Fprintf(&b, "| Resolved | %s by %s (after %s) |\n", ts(*in.ResolvedAt), md(in.ResolvedBy), in.ResolvedAt.Sub(in.CreatedAt).Round(time.Second))
	}
	fmt.Fprintf(&b, "| Alerts | %d (dedup key `%s`) |\n\n", in.Alerts, in.DedupKey)
	r := in.Review
	if r == nil {
		r = &Review{}
	}
	b.WriteString("## Summary\n\n")
	if r.Summary != "" {
		b.WriteString(r.Summary + "\n\n")
	} else {
		b.WriteString("_No review yet._\n\n")
	}
	b.WriteString("## Impact\n\n")
	if r.Impact != "" {
		b.WriteString(r.Impact + "\n\n")
	}
	if in.SLO != nil {
		fmt.Fprintf(&b, "SLO `%s`: error budget remaining %s at open, %s at resolve.\n\n", in.SLO.SLO, pct(in.SLO.BudgetAtOpen), pct(in.SLO.BudgetAtResolve))
	}
	if len(r.ContributingFactors) > 0 {
		b.WriteString("## Contributing factors\n\n")
		for _, f := range r.ContributingFactors {
			fmt.Fprintf(&b, "- %s\n", f)
		}
		b.WriteString("\n")
	}
	if len(r.ActionItems) > 0 {
		b.WriteString("## Action items\n\n| Action | Owner | Due | Done |\n|---|---|---|---|\n")
		for _, a := range r.ActionItems {
			done := ""
			if a.Done {
				done = "yes"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", md(a.Title), md(a.Owner), a.Due, done)
		}
		b.WriteString("\n")
	}
	b.WriteString("## Timeline\n\n| Time (UTC) | What | Who | Details |\n|---|---|---|---|\n")
	for _, e := range in.Timeline {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", ts(e.At), e.Kind, md(e.Who), md(e.Text))
	}
	return b.String()
}

func pct(x *float64) string {
	if x == nil {
		return "unknown"
	}
	return fmt.Sprintf("%.1f%%", *x*100)
}

// md keeps user text from breaking a table row.
func md(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
}
