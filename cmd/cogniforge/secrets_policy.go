package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/cogniforge/cogniforge/pkg/audit"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/secrets"
	"github.com/cogniforge/cogniforge/pkg/secrets/smsecrets"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// dueLine is one line of `secrets due` and of the compliance report. The
// first four fields are the command's first shape; Due is now the time the
// next rotation window opens ("unknown" with no policy).
type dueLine struct {
	SecretID    string `json:"secretId"`
	LastRotated string `json:"lastRotated"`
	Rule        string `json:"rule"`
	Due         string `json:"due"`
	// State is scheduled, due (the window is open), overdue (a window
	// closed with no rotation), no-policy or, in the compliance report,
	// disabled (rotation off).
	State     string `json:"state"`
	WindowEnd string `json:"windowEnd,omitempty"`
	// Compliant and Reason are the compliance report's verdict.
	Compliant *bool  `json:"compliant,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

const (
	stateNoPolicy = "no-policy"
	stateDisabled = "disabled"
)

// secretInventory describes every secret of the backend: the local vault,
// or Secrets Manager with --aws (AWS_ENDPOINT_URL and the usual AWS
// variables). The audit store may be nil.
func secretInventory(ctx context.Context, useAWS bool, vf vaultFlags) ([]secrets.Description, error) {
	if useAWS {
		v, err := awsVault(ctx)
		if err != nil {
			return nil, err
		}
		return v.ListSecrets(ctx)
	}
	v, err := vf.open()
	if err != nil {
		return nil, err
	}
	var out []secrets.Description
	for _, id := range v.ListSecrets(ctx) {
		d, err := v.DescribeSecret(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

func awsVault(ctx context.Context) (*smsecrets.Vault, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	return smsecrets.NewFromConfig(cfg), nil
}

// lastRotations is each secret's newest successful finishSecret in the
// audit trail: the last rotation of a backend that does not date them.
func lastRotations(ctx context.Context, st store.Store) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	if st == nil {
		return out, nil
	}
	recs, err := audit.List(ctx, st, audit.Filter{})
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if r.What == "rotation."+secrets.StepFinish && r.Outcome == events.OutcomeSucceeded {
			if t, err := time.Parse(time.RFC3339Nano, r.When); err == nil {
				out[r.SecretID] = t
			}
		}
	}
	return out, nil
}

// standing is a secret's line at instant at.
func standing(d secrets.Description, audited map[string]time.Time, at time.Time) dueLine {
	line := dueLine{SecretID: d.ID, LastRotated: "unknown", Rule: d.Rules.String(), Due: "unknown", State: stateNoPolicy}
	last := d.LastRotation()
	if t, ok := audited[d.ID]; ok && t.After(last) {
		last = t
	}
	if !last.IsZero() {
		line.LastRotated = last.UTC().Format(time.RFC3339)
	}
	if d.Rules.IsZero() {
		line.Rule = "none (set one with cogniforge secrets policy)"
		return line
	}
	p, err := secrets.ParsePolicy(d.Rules)
	if err != nil {
		line.Rule += " (invalid: " + err.Error() + ")"
		return line
	}
	if last.IsZero() {
		// Never rotated and no creation date: due now, as Secrets
		// Manager rotates a secret when rotation is first turned on.
		line.State, line.Due = secrets.StateDue, at.UTC().Format(time.RFC3339)
		return line
	}
	st := p.Check(last, at)
	line.State = st.State
	line.Due = st.WindowStart.Format(time.RFC3339)
	line.WindowEnd = st.WindowEnd.Format(time.RFC3339)
	return line
}

// parseAt reads --at: RFC 3339, or a duration ahead of now (720h: what
// will be due within 30 days).
func parseAt(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(d), nil
	}
	return time.Time{}, fmt.Errorf("--at %q: want RFC 3339 (2026-12-01T00:00:00Z) or a duration from now (720h)", s)
}

func secretsDue(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("secrets due", flag.ContinueOnError)
	vf := addVaultFlags(fs)
	all := fs.Bool("all", false, "list every secret with rotation enabled, due or not")
	atFlag := fs.String("at", "", "judge at T (RFC 3339, or a duration from now) instead of now")
	useAWS := fs.Bool("aws", false, "read Secrets Manager (AWS_ENDPOINT_URL and the AWS variables) instead of the local vault")
	asJSON := fs.Bool("json", false, "print one JSON array instead of JSON lines")
	pos, code, ok := interleaved(fs, args, stderr)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		fmt.Fprint(stderr, "cogniforge secrets due: takes no arguments\n\n"+secretsUsage)
		return 2
	}
	at, err := parseAt(*atFlag, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge secrets due: %v\n", err)
		return 2
	}
	lines, code := dueLines(ctx, *useAWS, vf, at, stderr, "due")
	if code != 0 {
		return code
	}
	out := []dueLine{}
	anyDue := false
	for _, l := range lines {
		due := l.State == secrets.StateDue || l.State == secrets.StateOverdue
		anyDue = anyDue || due
		if due || *all {
			out = append(out, l)
		}
	}
	if err := writeLines(stdout, out, *asJSON); err != nil {
		fmt.Fprintf(stderr, "cogniforge secrets due: %v\n", err)
		return 1
	}
	if anyDue {
		return 1
	}
	return 0
}

// dueLines is every secret's standing at at, rotation-enabled ones only
// unless withDisabled; code is the exit code when it failed.
func dueLines(ctx context.Context, useAWS bool, vf vaultFlags, at time.Time, stderr io.Writer, cmd string) ([]dueLine, int) {
	return inventoryLines(ctx, useAWS, vf, at, stderr, cmd, false)
}

func inventoryLines(ctx context.Context, useAWS bool, vf vaultFlags, at time.Time, stderr io.Writer, cmd string, withDisabled bool) ([]dueLine, int) {
	ds, err := secretInventory(ctx, useAWS, vf)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge secrets %s: %v\n", cmd, err)
		if useAWS {
			return nil, 1
		}
		return nil, 2
	}
	st, closeStore, err := auditStore(vf.dir(), true)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge secrets %s: %v\n", cmd, err)
		return nil, dataDirCode(err)
	}
	defer closeStore()
	audited, err := lastRotations(ctx, st)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge secrets %s: %v\n", cmd, err)
		return nil, 1
	}
	var lines []dueLine
	for _, d := range ds {
		if !d.RotationEnabled && !withDisabled {
			continue
		}
		l := standing(d, audited, at)
		if !d.RotationEnabled {
			l.State = stateDisabled
		}
		lines = append(lines, l)
	}
	return lines, 0
}

func writeLines(w io.Writer, lines []dueLine, asJSON bool) error {
	if asJSON {
		b, err := json.MarshalIndent(lines, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	enc := json.NewEncoder(w)
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return nil
}

// compliance judges each line: compliant when rotation is on, a valid
// policy is set and no window has closed since the last rotation.
func compliance(lines []dueLine) (allOK bool) {
	allOK = true
	for i := range lines {
		l := &lines[i]
		ok := false
		switch l.State {
		case secrets.StateScheduled:
			ok, l.Reason = true, "rotated within its policy; next window opens "+l.Due
		case secrets.StateDue:
			ok, l.Reason = true, "its rotation window is open now (until "+l.WindowEnd+")"
		case secrets.StateOverdue:
			l.Reason = "overdue: the window that opened " + l.Due + " closed without a rotation (last " + l.LastRotated + ")"
		case stateDisabled:
			l.Reason = "rotation is not enabled"
		default:
			l.Reason = "no valid rotation policy: " + l.Rule
		}
		l.Compliant = &ok
		allOK = allOK && ok
	}
	return allOK
}

func secretsCompliance(ctx context.Context, useAWS bool, vf vaultFlags, at time.Time, asJSON bool, stdout, stderr io.Writer) int {
	lines, code := inventoryLines(ctx, useAWS, vf, at, stderr, "audit --compliance", true)
	if code != 0 {
		return code
	}
	ok := compliance(lines)
	if lines == nil {
		lines = []dueLine{}
	}
	if err := writeLines(stdout, lines, asJSON); err != nil {
		return 1
	}
	if !ok {
		return 1
	}
	return 0
}

func secretsPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("secrets policy", flag.ContinueOnError)
	vf := addVaultFlags(fs)
	sched := fs.String("schedule", "", "a Secrets Manager ScheduleExpression: rate(N hours|days) or cron(0 H DOM MON DOW *)")
	afterDays := fs.String("after-days", "", "AutomaticallyAfterDays: rotate N days after the last rotation")
	preset := fs.String("preset", "", "daily, weekly, monthly (30 days) or quarterly (90 days)")
	duration := fs.String("duration", "", "the rotation window, whole hours (3h); default the rest of the UTC day, or 1h for hourly schedules")
	useAWS := fs.Bool("aws", false, "set the rules on Secrets Manager with RotateSecret (RotateImmediately false) instead of the local vault")
	lambdaARN := fs.String("lambda-arn", "", "--aws: the rotation function, when the secret has none yet")
	pos, code, ok := interleaved(fs, args, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "cogniforge secrets policy: exactly one SECRET is required\n\n%s", secretsUsage)
		return 2
	}
	id := pos[0]
	var rules secrets.RotationRules
	given := 0
	if *sched != "" {
		given++
		rules.ScheduleExpression = *sched
	}
	if *afterDays != "" {
		given++
		n, err := strconv.ParseInt(*afterDays, 10, 64)
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge secrets policy: --after-days %q is not a whole number\n", *afterDays)
			return 2
		}
		rules.AutomaticallyAfterDays = n
	}
	if *preset != "" {
		given++
		r, err := secrets.Preset(*preset)
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge secrets policy: %v\n", err)
			return 2
		}
		rules = r
	}
	if given != 1 {
		fmt.Fprintf(stderr, "cogniforge secrets policy: give exactly one of --schedule, --after-days, --preset\n\n%s", secretsUsage)
		return 2
	}
	rules.Duration = *duration
	p, err := secrets.ParsePolicy(rules)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge secrets policy: %v\n", err)
		return 2
	}
	st, closeStore, err := auditStore(vf.dir(), false)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge secrets policy: %v\n", err)
		return dataDirCode(err)
	}
	defer closeStore()
	var d secrets.Description
	if *useAWS {
		var v *smsecrets.Vault
		if v, err = awsVault(ctx); err == nil {
			if err = v.SetRotationRules(ctx, id, *lambdaARN, rules); err == nil {
				d, err = v.DescribeSecret(ctx, id)
			}
		}
	} else {
		var v *secrets.FileVault
		if v, err = vf.open(); err == nil {
			if err = v.SetRotationRules(ctx, id, rules); err == nil {
				d, err = v.DescribeSecret(ctx, id)
			}
		}
	}
	r := audit.Record{Who: cliPrincipal(), What: "secret.policy", SecretID: id, Outcome: events.OutcomeSucceeded}
	if err != nil {
		r.Outcome, r.ErrorName = events.OutcomeFailed, errorName(err)
	}
	record(ctx, st, r, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge secrets policy: secret %s: %v\n", id, err)
		if errors.Is(err, secrets.ErrSecretNotFound) {
			return 2
		}
		return 1
	}
	// Report the rules the backend now holds and the next window they give.
	if d.Rules.IsZero() {
		d.Rules = rules
	}
	line := standing(d, nil, time.Now())
	return printJSON(stdout, stderr, map[string]any{
		"secretId": id, "rules": rules, "rule": p.String(), "lastRotated": line.LastRotated,
		"nextWindowStart": line.Due, "nextWindowEnd": line.WindowEnd, "state": line.State,
	}, 0)
}
