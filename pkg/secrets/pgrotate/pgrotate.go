// Package pgrotate rotates PostgreSQL credentials held in secrets of the
// RDS shape (engine, host, port, username, password, dbname, and masterarn
// for alternating users). Its rotators are secrets.Target and
// secrets.Generator implementations driven by secrets.Rotate, so the
// protocol's guards (rotation enabled, token pending, already current)
// apply before any database is touched.
//
// SingleUser changes the password of the secret's own user with ALTER ROLE:
// once the rotation finishes the old password no longer logs in.
// AlternatingUsers switches the secret between <user> and <user>_clone,
// created on first use by the master user with membership in <user>; the
// previous user's password keeps working until the rotation after next,
// so clients holding the old credential are not cut off.
//
// Every step is idempotent: setSecret first tries the pending credential
// and does nothing if it already logs in, which is also how a rotation
// that crashed between setSecret and finishSecret recovers when Secrets
// Manager retries it. When the current credential no longer logs in,
// setSecret falls back on AWSPREVIOUS (SingleUser through
// secrets.PreviousSetter; AlternatingUsers on the master secret's
// AWSPREVIOUS), as AWS's RDS templates do, and when nothing logs in says
// which versions it tried. Errors name the host:port and the user, never a
// password, and ALTER ROLE receives a SCRAM-SHA-256 verifier computed
// here rather than the plaintext, so statement logs cannot hold it. The
// rotators hold no state and are safe for concurrent use.
//
// The same two calls serve the tools around a rotation: Test(value) says
// whether a version logs in (a stuck AWSPENDING that already works should
// be finished, not cancelled), and Set(current, previous) followed by
// Test(previous) puts a rollback's password on the database before
// AWSCURRENT moves back.
package pgrotate

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cogniforge/cogniforge/pkg/secrets"
)

// Named errors of the database side; secrets.Rotate wraps them in
// Secrets.SetFailed or Secrets.TestFailed. Compare with errors.Is.
var (
	// ErrUnreachable: no connection to host:port (refused, timeout, DNS).
	ErrUnreachable = &secrets.Error{Name: "PostgreSQL.Unreachable", Msg: "database unreachable"}
	// ErrLoginFailed: the server answered but refused every credential tried.
	ErrLoginFailed = &secrets.Error{Name: "PostgreSQL.LoginFailed", Msg: "login failed"}
	// ErrStatement: a statement (ALTER ROLE, CREATE ROLE, GRANT) failed.
	ErrStatement = &secrets.Error{Name: "PostgreSQL.StatementFailed", Msg: "statement failed"}
	// ErrMismatch: the pending value does not belong with the current one
	// (another host, or a user the rotator would not switch to).
	ErrMismatch = &secrets.Error{Name: "PostgreSQL.Mismatch", Msg: "pending value does not match the current secret"}
)

func named(kind *secrets.Error, cause error, format string, args ...any) error {
	return &secrets.Error{Name: kind.Name, Msg: fmt.Sprintf(format, args...), Err: cause}
}

// Conn is how the rotators reach the database. The zero value connects
// with TLS preferred (sslmode=prefer, as libpq does) and a 5 s timeout.
type Conn struct {
	// SSLMode is libpq's sslmode; empty means "prefer".
	SSLMode string
	// Timeout bounds each connection attempt; zero means 5 s.
	Timeout time.Duration
}

// connect logs in as s.Username with s.Password to s.DBName. The caller
// closes the connection.
func (c Conn) connect(ctx context.Context, s Secret) (*pgx.Conn, error) {
	mode := c.SSLMode
	if mode == "" {
		mode = "prefer"
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	// Host and port go through the URL because pgx copies them into its
	// TLS fallbacks at parse time; user and password are set afterwards
	// so no quoting of them is ever needed.
	u := url.URL{Scheme: "postgres", Host: s.Addr(), Path: "/" + s.DBName,
		RawQuery: url.Values{"sslmode": {mode}, "connect_timeout": {strconv.Itoa(int((timeout + time.Second - 1) / time.Second))}}.Encode()}
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, named(ErrUnreachable, err, "%s: bad connection settings", s.Addr())
	}
	cfg.User, cfg.Password = s.Username, s.Password
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		return conn, nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// 28P01 invalid_password, 28000 invalid_authorization_specification.
		return nil, named(ErrLoginFailed, nil, "%s: user %q: %s (SQLSTATE %s)", s.Addr(), s.Username, pgErr.Message, pgErr.Code)
	}
	// pgx reports each address and TLS attempt on its own line; the
	// network error says the same in one.
	var netErr *net.OpError
	if errors.As(err, &netErr) {
		err = netErr
	}
	return nil, named(ErrUnreachable, err, "%s", s.Addr())
}

// login connects with s and runs SELECT 1.
func (c Conn) login(ctx context.Context, s Secret) error {
	conn, err := c.connect(ctx, s)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return named(ErrStatement, err, "%s: SELECT 1 as %q", s.Addr(), s.Username)
	}
	return nil
}

// quoteLiteral quotes s as a SQL string literal. ALTER ROLE takes no bind
// parameters, so the password is spliced in. Quotes are doubled; a value
// with a backslash takes the escape-string form (E-prefixed, backslashes
// doubled), which reads the same whatever standard_conforming_strings says.
func quoteLiteral(s string) (string, error) {
	if strings.ContainsRune(s, 0) {
		return "", invalid(nil, "password contains a NUL byte")
	}
	s = strings.ReplaceAll(s, `'`, `''`)
	if strings.Contains(s, `\`) {
		return `E'` + strings.ReplaceAll(s, `\`, `\\`) + `'`, nil
	}
	return `'` + s + `'`, nil
}

func alterPassword(ctx context.Context, conn *pgx.Conn, addr, user, password string) error {
	lit, err := passwordLiteral(password)
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "ALTER ROLE "+pgx.Identifier{user}.Sanitize()+" WITH PASSWORD "+lit); err != nil {
		return named(ErrStatement, stripStatement(err), "%s: ALTER ROLE %q", addr, user)
	}
	return nil
}

// stripStatement keeps a server error's code and message only: pgx errors
// do not carry the SQL text, but this makes sure no future version leaks
// the password literal through an error.
func stripStatement(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return fmt.Errorf("%s (SQLSTATE %s)", pgErr.Message, pgErr.Code)
	}
	return errors.New("statement failed")
}

// newPassword is the Generator half shared by both rotators.
func newPassword(ctx context.Context, policy secrets.PasswordPolicy, password func(context.Context, secrets.PasswordPolicy) (string, error)) (string, error) {
	if policy == (secrets.PasswordPolicy{}) {
		policy = secrets.DefaultPolicy
	}
	return password(ctx, policy)
}

// SingleUser rotates the password of the secret's own user. The zero value
// is ready to use.
type SingleUser struct {
	// Policy is the new password's policy; zero means secrets.DefaultPolicy.
	Policy secrets.PasswordPolicy
	Conn   Conn
}

var (
	_ secrets.Target         = (*SingleUser)(nil)
	_ secrets.Generator      = (*SingleUser)(nil)
	_ secrets.PreviousSetter = (*SingleUser)(nil)
)

// NewValue is createSecret: the current secret with a new password.
func (r *SingleUser) NewValue(ctx context.Context, current []byte, password func(context.Context, secrets.PasswordPolicy) (string, error)) ([]byte, error) {
	if _, err := ParseSecret(current); err != nil {
		return nil, err
	}
	pw, err := newPassword(ctx, r.Policy, password)
	if err != nil {
		return nil, err
	}
	return withFields(current, map[string]string{"password": pw})
}

// Set is setSecret without an AWSPREVIOUS to fall back on; see
// SetWithPrevious.
func (r *SingleUser) Set(ctx context.Context, current, pending []byte) error {
	return r.SetWithPrevious(ctx, current, nil, pending)
}

// SetWithPrevious is setSecret: if the pending credential already logs in
// there is nothing to do (a retried step, or a crash before finishSecret);
// otherwise it logs in with the current credential, or, when the database
// refuses that one, with the previous one (previous may be nil), as AWS's
// RDS templates do, and sets the pending password with ALTER ROLE. When
// none logs in the error is PostgreSQL.LoginFailed naming each version
// tried and what the server said, never a password.
func (r *SingleUser) SetWithPrevious(ctx context.Context, current, previous, pending []byte) error {
	cur, pend, err := parsePair(current, pending)
	if err != nil {
		return err
	}
	if pend.Username != cur.Username {
		return named(ErrMismatch, nil, "single-user rotation keeps the user: pending user %q, current %q", pend.Username, cur.Username)
	}
	pendErr := r.Conn.login(ctx, pend)
	if pendErr == nil {
		return nil
	}
	if errors.Is(pendErr, ErrUnreachable) {
		return pendErr
	}
	tried := []string{secrets.StagePending + ": " + loginFailure(pendErr)}
	conn, err := r.Conn.connect(ctx, cur)
	if err != nil && !errors.Is(err, ErrLoginFailed) {
		return err
	}
	if err != nil {
		tried = append(tried, secrets.StageCurrent+": "+loginFailure(err))
		conn, err = r.previousConn(ctx, cur, previous, &tried)
		if err != nil {
			return err
		}
	}
	if conn == nil {
		return named(ErrLoginFailed, nil, "%s: no version of the secret logs in as %q (tried %s)", cur.Addr(), cur.Username, strings.Join(tried, "; "))
	}
	defer conn.Close(context.Background())
	return alterPassword(ctx, conn, cur.Addr(), cur.Username, pend.Password)
}

// previousConn logs in with the AWSPREVIOUS value when it is for the same
// database and user; it returns a nil connection, having noted why in
// tried, when there is none or the database refuses it.
func (r *SingleUser) previousConn(ctx context.Context, cur Secret, previous []byte, tried *[]string) (*pgx.Conn, error) {
	if previous == nil {
		*tried = append(*tried, secrets.StagePrevious+": none")
		return nil, nil
	}
	prev, err := ParseSecret(previous)
	switch {
	case err != nil:
		*tried = append(*tried, secrets.StagePrevious+": not a usable database secret")
		return nil, nil
	case prev.Addr() != cur.Addr() || prev.Username != cur.Username:
		*tried = append(*tried, fmt.Sprintf("%s: for user %q at %s, not this one", secrets.StagePrevious, prev.Username, prev.Addr()))
		return nil, nil
	}
	prev.DBName = cur.DBName
	conn, err := r.Conn.connect(ctx, prev)
	if err != nil && !errors.Is(err, ErrLoginFailed) {
		return nil, err
	}
	if err != nil {
		*tried = append(*tried, secrets.StagePrevious+": "+loginFailure(err))
		return nil, nil
	}
	return conn, nil
}

// loginFailure is what a refused login says, without the host and user the
// enclosing error names once.
func loginFailure(err error) string {
	var se *secrets.Error
	if errors.As(err, &se) {
		if _, after, ok := strings.Cut(se.Msg, ": "); ok {
			if _, reason, ok := strings.Cut(after, ": "); ok {
				return reason
			}
		}
		return se.Msg
	}
	return "refused"
}

// Test is testSecret: the pending credential logs in and runs SELECT 1.
func (r *SingleUser) Test(ctx context.Context, pending []byte) error {
	pend, err := ParseSecret(pending)
	if err != nil {
		return err
	}
	return r.Conn.login(ctx, pend)
}

func parsePair(current, pending []byte) (cur, pend Secret, err error) {
	if cur, err = ParseSecret(current); err != nil {
		return cur, pend, fmt.Errorf("AWSCURRENT: %w", err)
	}
	if pend, err = ParseSecret(pending); err != nil {
		return cur, pend, fmt.Errorf("AWSPENDING: %w", err)
	}
	if pend.Addr() != cur.Addr() || pend.DBName != cur.DBName {
		return cur, pend, named(ErrMismatch, nil, "pending value is for %s/%s, current for %s/%s", pend.Addr(), pend.DBName, cur.Addr(), cur.DBName)
	}
	return cur, pend, nil
}

// SecretReader reads a secret's value; secrets.Vault is one.
type SecretReader interface {
	GetSecretValue(ctx context.Context, id, versionID, stage string) (secrets.Value, error)
}

// AlternatingUsers switches the secret between <user> and <user>_clone,
// setting the new password on the user switched to while logged in as the
// master user named by the secret's masterarn.
type AlternatingUsers struct {
	// Master reads the master secret (its AWSCURRENT version); required.
	Master SecretReader
	// Policy is the new password's policy; zero means secrets.DefaultPolicy.
	Policy secrets.PasswordPolicy
	Conn   Conn
}

var (
	_ secrets.Target    = (*AlternatingUsers)(nil)
	_ secrets.Generator = (*AlternatingUsers)(nil)
)

// otherUser is the user the next rotation switches to.
func otherUser(user string) string {
	if base, ok := strings.CutSuffix(user, CloneSuffix); ok && base != "" {
		return base
	}
	return user + CloneSuffix
}

// NewValue is createSecret: the current secret with the other user and a
// new password. The secret must name its master (masterarn).
func (r *AlternatingUsers) NewValue(ctx context.Context, current []byte, password func(context.Context, secrets.PasswordPolicy) (string, error)) ([]byte, error) {
	cur, err := ParseSecret(current)
	if err != nil {
		return nil, err
	}
	if cur.MasterARN == "" {
		return nil, invalid(ErrMissingField, "missing masterarn (alternating-users rotation logs in as the master user)")
	}
	pw, err := newPassword(ctx, r.Policy, password)
	if err != nil {
		return nil, err
	}
	return withFields(current, map[string]string{"username": otherUser(cur.Username), "password": pw})
}

// Set is setSecret: if the pending credential already logs in there is
// nothing to do; otherwise, as the master user (its secret's AWSCURRENT,
// else its AWSPREVIOUS when the database refuses that), it creates the
// clone role when missing (a member of the base user, so it has the same
// rights) and sets the pending password on the pending user. The current
// user is not touched, so its password keeps working.
func (r *AlternatingUsers) Set(ctx context.Context, current, pending []byte) error {
	if r.Master == nil {
		return named(secrets.ErrInvalidRequest, nil, "alternating-users rotator needs Master to read the master secret")
	}
	cur, pend, err := parsePair(current, pending)
	if err != nil {
		return err
	}
	if pend.Username != otherUser(cur.Username) {
		return named(ErrMismatch, nil, "pending user %q is not the alternate of current user %q", pend.Username, cur.Username)
	}
	if cur.MasterARN == "" {
		return invalid(ErrMissingField, "missing masterarn (alternating-users rotation logs in as the master user)")
	}
	pendErr := r.Conn.login(ctx, pend)
	if pendErr == nil {
		return nil
	}
	if errors.Is(pendErr, ErrUnreachable) {
		return pendErr
	}
	conn, err := r.masterConn(ctx, cur)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())

	base := pend.Username
	if b, ok := strings.CutSuffix(pend.Username, CloneSuffix); ok {
		base = b
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return named(ErrStatement, stripStatement(err), "%s: BEGIN", cur.Addr())
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck // a no-op after Commit
	if pend.Username != base {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", pend.Username).Scan(&exists); err != nil {
			return named(ErrStatement, stripStatement(err), "%s: look up role %q", cur.Addr(), pend.Username)
		}
		if !exists {
			if _, err := tx.Exec(ctx, "CREATE ROLE "+pgx.Identifier{pend.Username}.Sanitize()+" WITH LOGIN"); err != nil {
				return named(ErrStatement, stripStatement(err), "%s: CREATE ROLE %q", cur.Addr(), pend.Username)
			}
		}
		// Membership gives the clone the base user's rights, present and
		// future; granting it again when it exists is harmless.
		if _, err := tx.Exec(ctx, "GRANT "+pgx.Identifier{base}.Sanitize()+" TO "+pgx.Identifier{pend.Username}.Sanitize()); err != nil {
			return named(ErrStatement, stripStatement(err), "%s: GRANT %q TO %q", cur.Addr(), base, pend.Username)
		}
	}
	lit, err := passwordLiteral(pend.Password)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "ALTER ROLE "+pgx.Identifier{pend.Username}.Sanitize()+" WITH LOGIN PASSWORD "+lit); err != nil {
		return named(ErrStatement, stripStatement(err), "%s: ALTER ROLE %q", cur.Addr(), pend.Username)
	}
	if err := tx.Commit(ctx); err != nil {
		return named(ErrStatement, stripStatement(err), "%s: COMMIT", cur.Addr())
	}
	return nil
}

// masterConn logs in as the master user of cur: with the master secret's
// AWSCURRENT value, or, when the database refuses it (the master was
// rotated on the database but not yet in its secret), with its
// AWSPREVIOUS value. Errors name the versions tried, never a password.
func (r *AlternatingUsers) masterConn(ctx context.Context, cur Secret) (*pgx.Conn, error) {
	var tried []string
	for _, stage := range []string{secrets.StageCurrent, secrets.StagePrevious} {
		mv, err := r.Master.GetSecretValue(ctx, cur.MasterARN, "", stage)
		if stage == secrets.StagePrevious && errors.Is(err, secrets.ErrVersionNotFound) {
			tried = append(tried, stage+": none")
			break
		}
		if err != nil {
			return nil, fmt.Errorf("master secret %s: %w", cur.MasterARN, err)
		}
		master, err := ParseSecret(mv.Bytes)
		if err != nil {
			return nil, fmt.Errorf("master secret %s %s: %w", cur.MasterARN, stage, err)
		}
		if master.Addr() != cur.Addr() {
			return nil, named(ErrMismatch, nil, "master secret %s %s is for %s, the secret for %s", cur.MasterARN, stage, master.Addr(), cur.Addr())
		}
		master.DBName = cur.DBName
		conn, err := r.Conn.connect(ctx, master)
		if err == nil {
			return conn, nil
		}
		if !errors.Is(err, ErrLoginFailed) {
			return nil, fmt.Errorf("as master user: %w", err)
		}
		tried = append(tried, stage+": "+loginFailure(err))
	}
	return nil, named(ErrLoginFailed, nil, "%s: master secret %s: no version logs in as the master user (tried %s)", cur.Addr(), cur.MasterARN, strings.Join(tried, "; "))
}

// Test is testSecret: the pending credential logs in and runs SELECT 1.
func (r *AlternatingUsers) Test(ctx context.Context, pending []byte) error {
	pend, err := ParseSecret(pending)
	if err != nil {
		return err
	}
	return r.Conn.login(ctx, pend)
}
