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
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func init() {
	register("secrets", command{summary: "diagnose, roll back and audit secrets in the local vault", run: runSecrets})
}

const secretsUsage = `usage:
  cogniforge secrets doctor SECRET [--fix] [--data-dir DIR] [--vault FILE]
        explain a stuck rotation (a version AWSPENDING that is not AWSCURRENT: its
        step, whether its value exists, the last audited step and error); --fix
        cancels it by removing AWSPENDING. Exit 0 healthy or fixed, 1 stuck.
  cogniforge secrets rollback SECRET [--data-dir DIR] [--vault FILE]
        move AWSCURRENT back to the AWSPREVIOUS version; refused (exit 1) when
        there is none, or when the secret is a database secret.
  cogniforge secrets due [--data-dir DIR] [--vault FILE]
        list the secrets with rotation enabled and their last rotation (JSON lines)
  cogniforge secrets audit [--secret S] [--since T] [--data-dir DIR]
        list the audit records (JSON lines), oldest first; T is RFC 3339 or a
        duration back from now (24h)

The vault is --vault, else $COGNIFORGE_VAULT_FILE, else DIR/vault.json, keyed by
$COGNIFORGE_VAULT_KEY; DIR is --data-dir, else $COGNIFORGE_DATA_DIR. Audit records
go to the store in DIR. Exit 2 on bad input.
`

func runSecrets(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, secretsUsage)
		return 2
	}
	switch args[0] {
	case "doctor":
		return secretsDoctor(ctx, args[1:], stdout, stderr)
	case "rollback":
		return secretsRollback(ctx, args[1:], stdout, stderr)
	case "due":
		return secretsDue(ctx, args[1:], stdout, stderr)
	case "audit":
		return secretsAudit(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		io.WriteString(stdout, secretsUsage)
		return 0
	}
	fmt.Fprintf(stderr, "cogniforge secrets: unknown subcommand %q\n\n%s", args[0], secretsUsage)
	return 2
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

// doctorReport is what `secrets doctor` prints.
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
	Explanation     string        `json:"explanation"`
	Fixed           bool          `json:"fixed"`
}

// oneSecret is what doctor and rollback share: the flags parsed with the
// vault's, exactly one SECRET, the vault opened and the secret described.
// When ok is false the command ends with code.
func oneSecret(ctx context.Context, fs *flag.FlagSet, vf vaultFlags, args []string, stderr io.Writer) (v *secrets.FileVault, id string, d secrets.Description, code int, ok bool) {
	pos, code, ok := interleaved(fs, args, stderr)
	if !ok {
		return nil, "", d, code, false
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "cogniforge %s: exactly one SECRET is required\n\n%s", fs.Name(), secretsUsage)
		return nil, "", d, 2, false
	}
	id = pos[0]
	v, err := vf.open()
	if err == nil {
		d, err = v.DescribeSecret(ctx, id)
	}
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge %s: %v\n", fs.Name(), err)
		return nil, "", d, 2, false
	}
	return v, id, d, 0, true
}

func secretsDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("secrets doctor", flag.ContinueOnError)
	vf := addVaultFlags(fs)
	fix := fs.Bool("fix", false, "cancel a stuck rotation by removing AWSPENDING")
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
	if _, err := v.GetSecretValue(ctx, id, rep.Pending, ""); err == nil {
		rep.PendingHasValue = true
		rep.Step = secrets.StepSet
		rep.Explanation = fmt.Sprintf("rotation %s is stuck after createSecret: the pending value exists but finishSecret has not made it AWSCURRENT (setSecret, testSecret or finishSecret failed or never ran)", rep.Pending)
	} else {
		rep.Step = secrets.StepCreate
		rep.Explanation = fmt.Sprintf("rotation %s is stuck at createSecret: AWSPENDING has no value yet, so nothing was applied anywhere", rep.Pending)
	}
	if rep.LastStep != nil {
		rep.Explanation += fmt.Sprintf("; last audited step %s %s", rep.LastStep.What, rep.LastStep.Outcome)
		if rep.LastStep.ErrorName != "" {
			rep.Explanation += " (" + rep.LastStep.ErrorName + ")"
		}
	}
	if !*fix {
		rep.Explanation += "; run with --fix to cancel it (AWSCURRENT is unchanged)"
		return printJSON(stdout, stderr, rep, 1)
	}
	err = v.UpdateSecretVersionStage(ctx, id, secrets.StagePending, "", rep.Pending)
	r := audit.Record{Who: cliPrincipal(), What: "secret.doctor.fix", SecretID: id, Outcome: events.OutcomeSucceeded}
	if err != nil {
		r.Outcome, r.ErrorName = events.OutcomeFailed, errorName(err)
	}
	record(ctx, st, r, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge secrets doctor: cancel: %v\n", err)
		return printJSON(stdout, stderr, rep, 1)
	}
	rep.Fixed = true
	rep.Explanation += "; cancelled: AWSPENDING removed, AWSCURRENT unchanged"
	return printJSON(stdout, stderr, rep, 0)
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
	r := audit.Record{Who: cliPrincipal(), What: "secret.rollback", SecretID: id, Outcome: events.OutcomeFailed}
	cur, prev, _ := stages(d)
	if prev == "" {
		r.ErrorName = "Secrets.NoPrevious"
		record(ctx, st, r, stderr)
		fmt.Fprintf(stderr, "cogniforge secrets rollback: secret %s has no AWSPREVIOUS version to roll back to\n", id)
		return 1
	}
	// A database secret's previous password must be set on the database
	// first, or the rollback leaves a credential that does not log in; the
	// database rotators are not built yet, so refuse rather than guess.
	if val, err := v.GetSecretValue(ctx, id, cur, ""); err == nil {
		var shape struct {
			Engine string `json:"engine"`
		}
		if json.Unmarshal(val.Bytes, &shape) == nil && shape.Engine != "" && shape.Engine != "generic" {
			r.ErrorName = secretsfn.ErrUnsupportedEngine.Name
			record(ctx, st, r, stderr)
			fmt.Fprintf(stderr, "cogniforge secrets rollback: secret %s is a %s secret: rolling it back needs its database rotator, not supported yet\n", id, shape.Engine)
			return 1
		}
	}
	if err := v.UpdateSecretVersionStage(ctx, id, secrets.StageCurrent, prev, cur); err != nil {
		r.ErrorName = errorName(err)
		record(ctx, st, r, stderr)
		fmt.Fprintf(stderr, "cogniforge secrets rollback: %v\n", err)
		return 1
	}
	r.Outcome = events.OutcomeSucceeded
	record(ctx, st, r, stderr)
	return printJSON(stdout, stderr, map[string]string{"secretId": id, "current": prev, "previous": cur}, 0)
}

// dueLine is one line of `secrets due`.
type dueLine struct {
	SecretID    string `json:"secretId"`
	LastRotated string `json:"lastRotated"`
	Rule        string `json:"rule"`
	Due         string `json:"due"`
}

func secretsDue(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("secrets due", flag.ContinueOnError)
	vf := addVaultFlags(fs)
	pos, code, ok := interleaved(fs, args, stderr)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		fmt.Fprint(stderr, "cogniforge secrets due: takes no arguments\n\n"+secretsUsage)
		return 2
	}
	v, err := vf.open()
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge secrets due: %v\n", err)
		return 2
	}
	st, closeStore, err := auditStore(vf.dir(), true)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge secrets due: %v\n", err)
		return dataDirCode(err)
	}
	defer closeStore()
	var recs []audit.Record
	if st != nil {
		if recs, err = audit.List(ctx, st, audit.Filter{}); err != nil {
			fmt.Fprintf(stderr, "cogniforge secrets due: %v\n", err)
			return 1
		}
	}
	enc := json.NewEncoder(stdout)
	for _, id := range v.ListSecrets(ctx) {
		d, err := v.DescribeSecret(ctx, id)
		if err != nil || !d.RotationEnabled {
			continue
		}
		// The last rotation is the newest successful finishSecret in the
		// audit trail; the file vault keeps no rotation rules, so whether
		// it is due cannot be told and the output says so.
		line := dueLine{SecretID: id, LastRotated: "unknown", Rule: "unknown (the local vault stores no rotation rules)", Due: "unknown"}
		for _, r := range recs {
			if r.SecretID == id && r.What == "rotation."+secrets.StepFinish && r.Outcome == events.OutcomeSucceeded {
				line.LastRotated = r.When
			}
		}
		if err := enc.Encode(line); err != nil {
			return 1
		}
	}
	return 0
}

func secretsAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("secrets audit", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "", "data directory (default $COGNIFORGE_DATA_DIR)")
	secret := fs.String("secret", "", "only records of this secret (or configuration key)")
	since := fs.String("since", "", "only records at or after T (RFC 3339, or a duration back from now such as 24h)")
	pos, code, ok := interleaved(fs, args, stderr)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		fmt.Fprint(stderr, "cogniforge secrets audit: takes no arguments\n\n"+secretsUsage)
		return 2
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
