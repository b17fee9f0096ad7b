// Package config is CogniForge's versioned, per-environment configuration:
// parameters live under /cogniforge/<env>/<function>/<key> in a
// ParameterStore (SSM Parameter Store in AWS, see pkg/config/ssmconfig; the
// embedded store port locally, see NewEmbedded), every write is a new
// version, versions carry labels, and a rollback is itself a new version so
// history stays append-only.
//
// Functions read their parameters through a Loader: a typed, validated view
// of the function's own path, cached for a TTL so a change takes effect
// without a redeploy, and which never lets a bad new version replace the
// last good value. Operators write through a Manager, which refuses a value
// that fails the function's registered schema before it is stored.
//
// The package links no cloud SDK: the SSM implementation sits in the
// wiring-side subpackage ssmconfig.
package config

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Errors shared by every ParameterStore and by the path checks.
var (
	// ErrNotFound: no such parameter, version or label.
	ErrNotFound = errors.New("config: parameter not found")
	// ErrInvalidName: a name, version selector or label SSM would refuse.
	ErrInvalidName = errors.New("config: invalid name")
	// ErrUnknownEnv: an environment other than dev, staging, prod.
	ErrUnknownEnv = errors.New("config: unknown environment")
	// ErrOutOfScope: a function asked for a path outside its own.
	ErrOutOfScope = errors.New("config: path outside the function's own")
	// ErrInvalidValue: a value that fails its type or validation.
	ErrInvalidValue = errors.New("config: invalid value")
)

// MaskedValue replaces the value of a SecureString in History, which
// operators read and logs may keep.
const MaskedValue = "****"

// Parameter is one version of a parameter, as Get returns it.
type Parameter struct {
	Name         string
	Value        string
	Version      int64
	Secure       bool
	LastModified time.Time
	Labels       []string
}

// Version is one entry of a parameter's history. Value is MaskedValue when
// Secure.
type Version = Parameter

// ParameterStore is the configuration port: a hierarchy of versioned
// parameters. Implementations are safe for concurrent use.
type ParameterStore interface {
	// Put writes value as a new version of name (created at version 1) and
	// returns that version. Secure stores it as a SecureString.
	Put(ctx context.Context, name, value string, secure bool) (int64, error)
	// Get returns the version of name that selector picks: "" the latest,
	// decimal digits a version number, anything else a label. A missing
	// parameter, version or label is ErrNotFound.
	Get(ctx context.Context, name, selector string) (Parameter, error)
	// History returns every version of name, oldest first, with secure
	// values masked.
	History(ctx context.Context, name string) ([]Version, error)
	// Label attaches labels to a version of name. A label already on
	// another version of name moves to this one (as SSM does).
	Label(ctx context.Context, name string, version int64, labels ...string) error
	// GetByPath returns the latest version of every parameter under path
	// (recursively), ordered by name, with secure values in clear.
	GetByPath(ctx context.Context, path string) ([]Parameter, error)
}

// Root is the first element of every CogniForge parameter path.
const Root = "/cogniforge"

// Envs are the environments a parameter may belong to.
var Envs = []string{"dev", "staging", "prod"}

var (
	nameRE  = regexp.MustCompile(`^/[A-Za-z0-9_.\-/]+$`)
	segRE   = regexp.MustCompile(`^[A-Za-z0-9_.\-]+$`)
	labelRE = regexp.MustCompile(`^[A-Za-z_.\-][A-Za-z0-9_.\-]{0,99}$`)
)

// CheckEnv refuses an environment other than dev, staging and prod.
func CheckEnv(env string) error {
	for _, e := range Envs {
		if env == e {
			return nil
		}
	}
	return fmt.Errorf("%w %q: want one of %s", ErrUnknownEnv, env, strings.Join(Envs, ", "))
}

// FunctionPath is the path a function's parameters live under, with a
// trailing slash: /cogniforge/<env>/<function>/.
func FunctionPath(env, function string) (string, error) {
	if err := CheckEnv(env); err != nil {
		return "", err
	}
	if !segRE.MatchString(function) {
		return "", fmt.Errorf("%w: function %q: want letters, digits, '.', '-' or '_'", ErrInvalidName, function)
	}
	return Root + "/" + env + "/" + function + "/", nil
}

// Path is the full name of a function's key: /cogniforge/<env>/<function>/<key>.
// A key may itself be a hierarchy ("db/host").
func Path(env, function, key string) (string, error) {
	base, err := FunctionPath(env, function)
	if err != nil {
		return "", err
	}
	name := base + key
	if key == "" || strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") || strings.Contains(key, "//") || hasDotSegment(key) || !nameRE.MatchString(name) {
		return "", fmt.Errorf("%w: key %q: want letters, digits, '.', '-', '_' and '/' between segments", ErrInvalidName, key)
	}
	return name, nil
}

// CheckScope refuses a name outside the function's own path, so a function
// cannot read another function's (or environment's) parameters.
func CheckScope(env, function, name string) error {
	base, err := FunctionPath(env, function)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(name, base) || strings.Contains(name[len(base):], "..") {
		return fmt.Errorf("%w: %q is not under %s", ErrOutOfScope, name, base)
	}
	return nil
}

// CheckName reports whether name can address a parameter: an absolute path
// of letters, digits, '.', '-', '_' and '/' separators.
func CheckName(name string) error {
	if len(name) > 1011 || !nameRE.MatchString(name) || strings.HasSuffix(name, "/") || strings.Contains(name, "//") || hasDotSegment(name) {
		return fmt.Errorf("%w: parameter %q: want an absolute path of letters, digits, '.', '-', '_'", ErrInvalidName, name)
	}
	return nil
}

// CheckLabel reports whether SSM would accept label: letters, digits, '.',
// '-', '_', not starting with a digit (so a label never reads as a version)
// and not starting with aws or ssm.
func CheckLabel(label string) error {
	low := strings.ToLower(label)
	if !labelRE.MatchString(label) || strings.HasPrefix(low, "aws") || strings.HasPrefix(low, "ssm") {
		return fmt.Errorf("%w: label %q: want letters, digits, '.', '-', '_', not starting with a digit, aws or ssm", ErrInvalidName, label)
	}
	return nil
}

// ParseSelector splits a Get selector into a version (digits) or a label.
// The empty selector is version 0 and no label: the latest.
func ParseSelector(selector string) (version int64, label string, err error) {
	if selector == "" {
		return 0, "", nil
	}
	if selector[0] >= '0' && selector[0] <= '9' {
		v, err := strconv.ParseInt(selector, 10, 64)
		if err != nil || v < 1 {
			return 0, "", fmt.Errorf("%w: version %q: want a positive integer", ErrInvalidName, selector)
		}
		return v, "", nil
	}
	if err := CheckLabel(selector); err != nil {
		return 0, "", err
	}
	return 0, selector, nil
}

// hasDotSegment reports a "." or ".." segment, which would let a key climb
// out of its function's path.
func hasDotSegment(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}
