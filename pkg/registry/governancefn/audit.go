package governancefn

import (
	"context"

	"github.com/cogniforge/cogniforge/pkg/apigov"
	"github.com/cogniforge/cogniforge/pkg/governance"
)

// Audit is the OWASP API Top 10 audit the auditor runs: pkg/governance's
// static rules, with its defaults.
func Audit(ctx context.Context, name string, spec []byte) (apigov.AuditReport, error) {
	rep, err := governance.Audit(ctx, name, spec, governance.Options{})
	if err != nil {
		return apigov.AuditReport{}, err
	}
	out := apigov.AuditReport{Spec: rep.Spec, Score: rep.Score, Findings: make([]apigov.Finding, 0, len(rep.Findings))}
	for _, f := range rep.Findings {
		out.Findings = append(out.Findings, apigov.Finding{Rule: f.Rule, Category: f.Category, Severity: string(f.Severity),
			Path: f.Path, Message: f.Message, Line: f.Line, Hint: f.Hint})
	}
	return out, nil
}
