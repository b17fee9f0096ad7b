package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"slices"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/audit"
	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/registry/secretsfn"
	"github.com/cogniforge/cogniforge/pkg/secrets"
	"github.com/cogniforge/cogniforge/pkg/secrets/pgrotate"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func init() {
	register("secrets", command{summary: "diagnose, roll back, audit and set rotation policies of secrets", run: runSecrets})
}

const secretsUsage = `usage:
  cogniforge secrets doctor SECRET [--fix] [--aws] [--data-dir DIR] [--vault FILE]
        explain a stuck rotation (a version AWSPENDING that is not AWSCURRENT: its
        step, whether its value exists, the last audited step and error; for a
        database secret, whether AWSPENDING and AWSCURRENT log in); --fix
        completes it (finishSecret) when the pending value already logs in,
        cancels it (removes AWSPENDING) when it does not and AWSCURRENT does,
        and changes nothing when neither is safe. Exit 0 healthy or fixed,
        1 stuck or not fixed.
  cogniforge secrets rollback SECRET [--aws] [--data-dir DIR] [--vault FILE]
        move AWSCURRENT back to the AWSPREVIOUS version; for a database secret,
        first set AWSPREVIOUS's password on the database (logged in with
        AWSCURRENT, or as the master user for alternating users) and verify it
        logs in. Refused (exit 1), with nothing changed, when there is no
        AWSPREVIOUS, a rotation is in progress on a database secret, or the
        rollback would leave a credential that does not log in.
  cogniforge secrets due [--all] [--at T] [--aws] [--json] [--data-dir DIR] [--vault FILE]
        list the secrets whose rotation is due (their window is open) or overdue
        (a window closed with no rotation) by their rotation rules and last
        rotation, one JSON line each (--json: one array); --all lists every
        secret with rotation enabled; --at judges at T (RFC 3339, or a duration
        from now: 720h); --aws reads Secrets Manager. Exit 1 when one is due.
  cogniforge secrets policy SECRET (--schedule EXPR | --after-days N | --preset NAME)
                    [--duration D] [--aws [--lambda-arn ARN]] [--data-dir DIR] [--vault FILE]
        set the secret's rotation rules, as Secrets Manager's RotationRules:
        EXPR is rate(N hours|days) or cron(0 H DOM MON DOW *) in UTC; NAME is
        daily, weekly, monthly (30 days) or quarterly (90 days); D is the window,
        whole hours (3h). Enables rotation. --aws sets them with RotateSecret
        (RotateImmediately false). Exit 2 on rules Secrets Manager would refuse.
  cogniforge secrets audit [--secret S] [--since T] [--data-dir DIR]
        list the audit records (JSON lines), oldest first; T is RFC 3339 or a
        duration back from now (24h)
  cogniforge secrets audit --compliance [--aws] [--at T] [--json] [--data-dir DIR] [--vault FILE]
        each secret's last rotation against its policy (JSON lines: compliant,
        reason); exit 1 unless every secret has rotation on, a valid policy and
        no window closed since its last rotation

The vault is --vault, else $COGNIFORGE_VAULT_FILE, else DIR/vault.json, keyed by
$COGNIFORGE_VAULT_KEY; DIR is --data-dir, else $COGNIFORGE_DATA_DIR. With --aws,
doctor, rollback, due, policy and audit --compliance act on Secrets Manager
instead (AWS_ENDPOINT_URL for an emulator). Audit records go to the store in
DIR. Exit 2 on bad input.
`

func runSecrets(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	return runSubcommand(ctx, "secrets", secretsUsage, map[string]subcommand{
		"doctor":   secretsDoctor,
		"rollback": secretsRollback,
		"due":      secretsDue,
		"audit":    secretsAudit,
		"policy":   secretsPolicy,
	}, args, stdout, stderr)
}

// cliPrincipal is who the audit trail names for a CLI action.
func cliPrincipal() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli:unknown"
}

// vaultFlags are the flags every vault subcommand shares.
type vaultFlags struct {
	dataDir, vault *string
}

func addVaultFlags(fs *flag.FlagSet) vaultFlags {
	return vaultFlags{
		dataDir: fs.String("data-dir", "", "data directory (default $COGNIFORGE_DATA_DIR)"),
		vault:   fs.String("vault", "", "vault file (default $COGNIFORGE_VAULT_FILE or DIR/vault.json)"),
	}
}

func (f vaultFlags) dir() string {
	if *f.dataDir != "" {
		return *f.dataDir
	}
	return os.Getenv(wiring.EnvDataDir)
}

func (f vaultFlags) open() (*secrets.FileVault, error) {
	path := *f.vault
	if path == "" {
		dir := f.dir()
		path = secretsfn.VaultPath(func(k string) string {
			if k == wiring.EnvDataDir {
				return dir
			}
			return os.Getenv(k)
		})
	}
	if path == "" {
		return nil, errors.New("no vault: give --vault FILE or --data-dir DIR (or set COGNIFORGE_VAULT_FILE / COGNIFORGE_DATA_DIR)")
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("vault %s: %w", path, err)
	}
	return secretsfn.OpenLocalVault(os.Getenv, path)
}

// auditStore opens the store of the data directory for the audit trail:
// nil with no error when there is no directory, or (read-only use) no
// store in it yet.
func auditStore(dir string, mustExist bool) (store.Store, func(), error) {
	if dir == "" {
		return nil, func() {}, nil
	}
	b, err := bolt.Open(bolt.Config{Dir: dir, MustExist: mustExist, OpenTimeout: 500 * time.Millisecond})
	if mustExist && errors.Is(err, bolt.ErrNoStore) {
		return nil, func() {}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return b, func() { b.Close() }, nil
}

func record(ctx context.Context, st store.Store, r audit.Record, stderr io.Writer) {
	if st == nil {
		return
	}
	rc := &audit.Recorder{Store: st}
	if err := rc.Record(ctx, r); err != nil {
		fmt.Fprintf(stderr, "cogniforge secrets: audit: %v\n", err)
	}
}

// auditedVault audits the CLI's reads of v as secret.read by the CLI
// principal when there is an audit store.
func auditedVault(v secrets.Vault, st store.Store, stderr io.Writer) secrets.Vault {
	if st == nil {
		return v
	}
	return &audit.Vault{Vault: v, Recorder: &audit.Recorder{Store: st}, Who: cliPrincipal(), OnError: func(err error) {
		fmt.Fprintf(stderr, "cogniforge secrets: audit: %v\n", err)
	}}
}

// stages reads which version holds each staging label.
func stages(d secrets.Description) (current, previous, pending string) {
	ids := make([]string, 0, len(d.VersionIdsToStages))
	for id := range d.VersionIdsToStages {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		st := d.VersionIdsToStages[id]
		if slices.Contains(st, secrets.StageCurrent) {
			current = id
		}
		if slices.Contains(st, secrets.StagePrevious) {
			previous = id
		}
		if slices.Contains(st, secrets.StagePending) {
			pending = id
		}
	}
	return current, previous, pending
}

// lastRotationStep is the newest audited rotation step of a secret.
func lastRotationStep(ctx context.Context, st store.Store, id string) (*audit.Record, error) {
	if st == nil {
		return nil, nil
	}
	recs, err := audit.List(ctx, st, audit.Filter{Secret: id})
	if err != nil {
		return nil, err
	}
	for i := len(recs) - 1; i >= 0; i-- {
		if strings.HasPrefix(recs[i].What, "rotation.") {
			return &recs[i], nil
		}
	}
	return nil, nil
}

// doctorReport is what `secrets doctor` prints. Action, Reason and the
// LogsIn fields extend the first shape: what --fix does (or did) and why,
// and, for a database secret, whether each version logs in.
type doctorReport struct {
	SecretID        string        `json:"secretId"`
	RotationEnabled bool          `json:"rotationEnabled"`
	Current         string        `json:"current,omitempty"`
	Previous        string        `json:"previous,omitempty"`
	Pending         string        `json:"pending,omitempty"`
	Stuck           bool          `json:"stuck"`
	PendingHasValue bool          `json:"pendingHasValue"`
	Step            string        `json:"step,omitempty"`
	LastStep        *audit.Record `json:"lastStep,omitempty"`
	// PendingLogsIn and CurrentLogsIn are asked of the database (nil: not
	// a database secret, or it could not be asked).
	PendingLogsIn *bool `json:"pendingLogsIn,omitempty"`
	CurrentLogsIn *bool `json:"currentLogsIn,omitempty"`
	// Action is the safe fix of a stuck rotation: "complete" (finishSecret:
	// the target already has the pending value), "cancel" (remove
	// AWSPENDING: nothing depends on it) or "none" (neither is safe).
	Action      string `json:"action,omitempty"`
	Reason      string `json:"reason,omitempty"`
	Explanation string `json:"explanation"`
	Fixed       bool   `json:"fixed"`
}

// Doctor actions.
const (
	actionComplete = "complete"
	actionCancel   = "cancel"
	actionNone     = "none"
)

// oneSecret is what doctor and rollback share: the flags parsed with the
// vault's, exactly one SECRET, the vault opened and the secret described.
// When ok is false the command ends with code.
func oneSecret(ctx context.Context, fs *flag.FlagSet, vf vaultFlags, args []string, stderr io.Writer) (v secrets.Vault, id string, d secrets.Description, code int, ok bool) {
	useAWS := fs.Bool("aws", false, "act on Secrets Manager (AWS_ENDPOINT_URL and the AWS variables) instead of the local vault")
	pos, code, ok := interleaved(fs, args, stderr)
	if !ok {
		return nil, "", d, code, false
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "cogniforge %s: exactly one SECRET is required\n\n%s", fs.Name(), secretsUsage)
		return nil, "", d, 2, false
	}
	id = pos[0]
	var err error
	if *useAWS {
		v, err = awsVault(ctx)
	} else {
		v, err = vf.open()
	}
	if err == nil {
		d, err = v.DescribeSecret(ctx, id)
	}
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge %s: %v\n", fs.Name(), err)
		return nil, "", d, 2, false
	}
	return v, id, d, 0, true
}

// logsIn asks a database target whether value logs in: ok false with a nil
// error is a refusal; an error means it cannot tell (unreachable, or the
// value is no database secret).
func logsIn(ctx context.Context, target secrets.Target, value []byte) (ok bool, err error) {
	err = target.Test(ctx, value)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, pgrotate.ErrLoginFailed) {
		return false, nil
	}
	return false, err
}

// diagnose fills the report's Step, Action and Reason for a stuck rotation
// whose pending version holds a value: a database secret is asked whether
// AWSPENDING and AWSCURRENT log in, because cancelling a rotation whose
// password the database already has would leave AWSCURRENT refused.
func diagnose(ctx context.Context, v secrets.Vault, rep *doctorReport) {
	rep.Step = secrets.StepSet
	target, err := secretsfn.TargetFor(ctx, v, rep.SecretID)
	if err != nil {
		rep.Action, rep.Reason = actionNone, fmt.Sprintf("no rotator for this secret (%v): whether the pending value was applied cannot be told", err)
		return
	}
	if !secretsfn.IsDatabase(target) {
		rep.Action, rep.Reason = actionCancel, "the secret is its own target (no database): removing AWSPENDING leaves AWSCURRENT, which its users read, as it is"
		return
	}
	pend, perr := v.GetSecretValue(ctx, rep.SecretID, rep.Pending, "")
	cur, cerr := v.GetSecretValue(ctx, rep.SecretID, rep.Current, "")
	if err := errors.Join(perr, cerr); err != nil {
		rep.Action, rep.Reason = actionNone, fmt.Sprintf("cannot read the versions: %v", err)
		return
	}
	pendOK, perr := logsIn(ctx, target, pend.Bytes)
	curOK, cerr := logsIn(ctx, target, cur.Bytes)
	if perr == nil {
		rep.PendingLogsIn = &pendOK
	}
	if cerr == nil {
		rep.CurrentLogsIn = &curOK
	}
	switch {
	case perr == nil && pendOK:
		rep.Step = secrets.StepFinish
		rep.Action, rep.Reason = actionComplete, "AWSPENDING already logs in to the database: setSecret reached it and only finishSecret is missing; cancelling would leave AWSCURRENT with a password the database may no longer accept"
	case perr != nil:
		rep.Action, rep.Reason = actionNone, fmt.Sprintf("cannot tell whether AWSPENDING logs in (%v): run again when the database answers", perr)
	case cerr != nil:
		rep.Action, rep.Reason = actionNone, fmt.Sprintf("AWSPENDING does not log in and whether AWSCURRENT does cannot be told (%v): run again when the database answers", cerr)
	case curOK:
		rep.Action, rep.Reason = actionCancel, "AWSPENDING does not log in and AWSCURRENT does: the database never got the pending password, so removing AWSPENDING loses nothing"
	default:
		rep.Action, rep.Reason = actionNone, "neither AWSPENDING nor AWSCURRENT logs in: completing or cancelling would both leave a credential the database refuses; restore a working password (secrets rollback, or by hand) first"
	}
}

func secretsDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("secrets doctor", flag.ContinueOnError)
	vf := addVaultFlags(fs)
	fix := fs.Bool("fix", false, "complete a stuck rotation whose pending value already logs in, else cancel it by removing AWSPENDING when that is safe")
	v, id, d, code, ok := oneSecret(ctx, fs, vf, args, stderr)
	if !ok {
		return code
	}
	st, closeStore, err := auditStore(vf.dir(), !*fix)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge secrets doctor: %v\n", err)
		return dataDirCode(err)
	}
	defer closeStore()
	rv := auditedVault(v, st, stderr)
	rep := doctorReport{SecretID: id, RotationEnabled: d.RotationEnabled}
	rep.Current, rep.Previous, rep.Pending = stages(d)
	rep.Stuck = rep.Pending != "" && rep.Pending != rep.Current
	if rep.LastStep, err = lastRotationStep(ctx, st, id); err != nil {
		fmt.Fprintf(stderr, "cogniforge secrets doctor: %v\n", err)
		return 1
	}
	if !rep.Stuck {
		rep.Explanation = "no rotation in progress: no version is AWSPENDING without being AWSCURRENT"
		return printJSON(stdout, stderr, rep, 0)
	}
	if _, err := rv.GetSecretValue(ctx, id, rep.Pending, ""); err == nil {
		rep.PendingHasValue = true
		diagnose(ctx, rv, &rep)
		rep.Explanation = fmt.Sprintf("rotation %s is stuck after createSecret: the pending value exists but finishSecret has not made it AWSCURRENT (setSecret, testSecret or finishSecret failed or never ran)", rep.Pending)
	} else {
		rep.Step = secrets.StepCreate
		rep.Action, rep.Reason = actionCancel, "AWSPENDING has no value: nothing was applied anywhere"
		rep.Explanation = fmt.Sprintf("rotation %s is stuck at createSecret: AWSPENDING has no value yet, so nothing was applied anywhere", rep.Pending)
	}
	if rep.LastStep != nil {
		rep.Explanation += fmt.Sprintf("; last audited step %s %s", rep.LastStep.What, rep.LastStep.Outcome)
		if rep.LastStep.ErrorName != "" {
			rep.Explanation += " (" + rep.LastStep.ErrorName + ")"
		}
	}
	if !*fix {
		switch rep.Action {
		case actionComplete:
			rep.Explanation += "; run with --fix to complete it (finishSecret: " + rep.Reason + ")"
		case actionCancel:
			rep.Explanation += "; run with --fix to cancel it (AWSCURRENT is unchanged)"
		default:
			rep.Explanation += "; --fix would change nothing: " + rep.Reason
		}
		return printJSON(stdout, stderr, rep, 1)
	}
	r := audit.Record{Who: cliPrincipal(), What: "secret.doctor.fix", SecretID: id, Outcome: events.OutcomeSucceeded}
	switch rep.Action {
	case actionComplete:
		// finishSecret through the protocol engine: its guards (rotation
		// enabled, the token still AWSPENDING, a value to make current)
		// are the ones Secrets Manager's own call would meet.
		err = secrets.Rotate(ctx, rv, nil, secrets.Request{SecretID: id, ClientRequestToken: rep.Pending, Step: secrets.StepFinish})
	case actionCancel:
		err = rv.UpdateSecretVersionStage(ctx, id, secrets.StagePending, "", rep.Pending)
	default:
		err = &secrets.Error{Name: "Secrets.NoSafeFix", Msg: rep.Reason}
	}
	if err != nil {
		r.Outcome, r.ErrorName = events.OutcomeFailed, errorName(err)
	}
	record(ctx, st, r, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge secrets doctor: %s refused: %v\n", fixVerb(rep.Action), err)
		rep.Explanation += "; not fixed: " + err.Error()
		return printJSON(stdout, stderr, rep, 1)
	}
	rep.Fixed = true
	if rep.Action == actionComplete {
		rep.Explanation += "; completed: finishSecret made " + rep.Pending + " AWSCURRENT (AWSPREVIOUS keeps " + rep.Current + ") because " + rep.Reason
	} else {
		rep.Explanation += "; cancelled: AWSPENDING removed, AWSCURRENT unchanged, because " + rep.Reason
	}
	return printJSON(stdout, stderr, rep, 0)
}

func fixVerb(action string) string {
	switch action {
	case actionComplete:
		return "completing the rotation"
	case actionCancel:
		return "cancelling the rotation"
	}
	return "fix"
}

func errorName(err error) string {
	var se *secrets.Error
	if errors.As(err, &se) {
		return se.Name
	}
	return "Error"
}

func printJSON(stdout, stderr io.Writer, v any, code int) int {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s\n", b)
	return code
}

// refusal is a rollback refused before anything changed.
func refusal(name, format string, args ...any) error {
	return &secrets.Error{Name: name, Msg: fmt.Sprintf(format, args...)}
}

// restorePrevious is a database secret's half of a rollback, run before
// AWSCURRENT moves: it makes the AWSPREVIOUS value log in to the database
// (single user: ALTER ROLE logged in with AWSCURRENT; alternating users:
// as the master user) and proves it does. It refuses, changing nothing,
// when it cannot act; done says what it did, for the output.
func restorePrevious(ctx context.Context, target secrets.Target, cur, prev []byte) (done string, err error) {
	const refused = "Secrets.RollbackRefused"
	if _, err := pgrotate.ParseSecret(prev); err != nil {
		return "", refusal(refused, "AWSPREVIOUS is not a usable database secret, so rolling back would leave a credential that cannot log in: %v", err)
	}
	ok, err := logsIn(ctx, target, prev)
	if err != nil {
		return "", refusal(refused, "cannot tell whether AWSPREVIOUS logs in, so nothing was changed: %v", err)
	}
	if ok {
		return "AWSPREVIOUS already logs in to the database: nothing to set", nil
	}
	if _, single := target.(*pgrotate.SingleUser); single {
		// ALTER ROLE needs a session: the current credential is the only
		// one the rollback may use for a single user.
		curOK, err := logsIn(ctx, target, cur)
		if err != nil || !curOK {
			return "", refusal(refused, "AWSPREVIOUS does not log in and AWSCURRENT cannot log in to set it (%v), so rolling back would leave a credential that does not log in", cmpErr(err, "password refused"))
		}
	}
	if err := target.Set(ctx, cur, prev); err != nil {
		return "", refusal(refused, "setting AWSPREVIOUS's password on the database failed, nothing moved: %v", err)
	}
	if ok, err := logsIn(ctx, target, prev); err != nil || !ok {
		// The database took the password but refuses it: put the current
		// one back so the secret and the database still agree.
		undo := target.Set(ctx, prev, cur)
		return "", refusal(refused, "AWSPREVIOUS still does not log in after setting it (%v); restoring AWSCURRENT's password: %v", cmpErr(err, "password refused"), cmpErr(undo, "done"))
	}
	return "AWSPREVIOUS's password set on the database and verified to log in", nil
}

// cmpErr is err's text, or ok when err is nil.
func cmpErr(err error, ok string) string {
	if err == nil {
		return ok
	}
	return err.Error()
}

func secretsRollback(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("secrets rollback", flag.ContinueOnError)
	vf := addVaultFlags(fs)
	v, id, d, code, ok := oneSecret(ctx, fs, vf, args, stderr)
	if !ok {
		return code
	}
	st, closeStore, err := auditStore(vf.dir(), false)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge secrets rollback: %v\n", err)
		return dataDirCode(err)
	}
	defer closeStore()
	rv := auditedVault(v, st, stderr)
	r := audit.Record{Who: cliPrincipal(), What: "secret.rollback", SecretID: id, Outcome: events.OutcomeFailed}
	fail := func(err error) int {
		r.ErrorName = errorName(err)
		record(ctx, st, r, stderr)
		fmt.Fprintf(stderr, "cogniforge secrets rollback: secret %s: %v\n", id, err)
		return 1
	}
	cur, prev, pend := stages(d)
	if prev == "" {
		return fail(refusal("Secrets.NoPrevious", "no AWSPREVIOUS version to roll back to"))
	}
	curVal, err := rv.GetSecretValue(ctx, id, cur, "")
	if err != nil {
		return fail(err)
	}
	prevVal, err := rv.GetSecretValue(ctx, id, prev, "")
	if err != nil {
		return fail(err)
	}
	target, err := secretsfn.TargetFor(ctx, rv, id)
	if err != nil {
		return fail(fmt.Errorf("cannot tell how to set AWSPREVIOUS on its target, so nothing was changed: %w", err))
	}
	out := map[string]string{"secretId": id, "current": prev, "previous": cur}
	database := secretsfn.IsDatabase(target)
	if database {
		// A rotation in flight may already have put its password on the
		// database; rolling back under it would leave three versions
		// disagreeing with the database.
		if pend != "" && pend != cur {
			return fail(refusal(secrets.ErrRotationInProgress.Name, "rotation %s is in progress (AWSPENDING): finish or cancel it first (cogniforge secrets doctor %s --fix)", pend, id))
		}
		done, err := restorePrevious(ctx, target, curVal.Bytes, prevVal.Bytes)
		if err != nil {
			return fail(err)
		}
		out["database"] = done
	}
	if err := rv.UpdateSecretVersionStage(ctx, id, secrets.StageCurrent, prev, cur); err != nil {
		if database {
			// The database has AWSPREVIOUS's password, the secret still
			// AWSCURRENT: put the current one back rather than leave them
			// apart.
			if undo := target.Set(ctx, prevVal.Bytes, curVal.Bytes); undo != nil {
				err = fmt.Errorf("%w; and restoring AWSCURRENT's password on the database failed: %v", err, undo)
			} else {
				err = fmt.Errorf("%w; AWSCURRENT's password restored on the database", err)
			}
		}
		return fail(err)
	}
	r.Outcome = events.OutcomeSucceeded
	record(ctx, st, r, stderr)
	return printJSON(stdout, stderr, out, 0)
}

func secretsAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("secrets audit", flag.ContinueOnError)
	vf := addVaultFlags(fs)
	dataDir := vf.dataDir
	secret := fs.String("secret", "", "only records of this secret (or configuration key)")
	since := fs.String("since", "", "only records at or after T (RFC 3339, or a duration back from now such as 24h)")
	comp := fs.Bool("compliance", false, "report each secret's last rotation against its policy instead of the records")
	useAWS := fs.Bool("aws", false, "--compliance: read Secrets Manager instead of the local vault")
	atFlag := fs.String("at", "", "--compliance: judge at T (RFC 3339, or a duration from now)")
	asJSON := fs.Bool("json", false, "--compliance: one JSON array instead of JSON lines")
	pos, code, ok := interleaved(fs, args, stderr)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		fmt.Fprint(stderr, "cogniforge secrets audit: takes no arguments\n\n"+secretsUsage)
		return 2
	}
	if *comp {
		at, err := parseAt(*atFlag, time.Now())
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge secrets audit: %v\n", err)
			return 2
		}
		return secretsCompliance(ctx, *useAWS, vf, at, *asJSON, stdout, stderr)
	}
	var f audit.Filter
	f.Secret = *secret
	if *since != "" {
		if t, err := time.Parse(time.RFC3339Nano, *since); err == nil {
			f.Since = t
		} else if d, derr := time.ParseDuration(*since); derr == nil && d >= 0 {
			f.Since = time.Now().Add(-d)
		} else {
			fmt.Fprintf(stderr, "cogniforge secrets audit: --since %q: want RFC 3339 (2026-11-23T14:00:00Z) or a duration (24h)\n", *since)
			return 2
		}
	}
	dir := *dataDir
	if dir == "" {
		dir = os.Getenv(wiring.EnvDataDir)
	}
	if dir == "" {
		fmt.Fprintln(stderr, "cogniforge secrets audit: give --data-dir DIR (or set COGNIFORGE_DATA_DIR)")
		return 2
	}
	if _, err := os.Stat(dir); err != nil {
		fmt.Fprintf(stderr, "cogniforge secrets audit: data directory: %v\n", err)
		return 2
	}
	st, closeStore, err := auditStore(dir, true)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge secrets audit: %v\n", err)
		return dataDirCode(err)
	}
	defer closeStore()
	if st == nil {
		return 0 // nothing has run here yet: no records
	}
	recs, err := audit.List(ctx, st, f)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge secrets audit: %v\n", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			return 1
		}
	}
	return 0
}
