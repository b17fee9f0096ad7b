package pgrotate

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cogniforge/cogniforge/pkg/secrets"
)

// Engine is the value of the secret's "engine" field this package rotates.
const Engine = "postgres"

// DefaultPort is used when the secret has no "port".
const DefaultPort = 5432

// CloneSuffix names the second user of the alternating-users rotator.
const CloneSuffix = "_clone"

// Causes of Secrets.InvalidSecret, for errors.Is.
var (
	ErrNotJSON      = errors.New("secret value is not a JSON object")
	ErrMissingField = errors.New("secret value is missing a required field")
	ErrWrongEngine  = errors.New("secret is not for the postgres engine")
)

// Secret is a database secret in the shape AWS uses for RDS secrets.
// Fields the rotators do not know are kept when they write a new version.
type Secret struct {
	Engine    string `json:"engine"`
	Host      string `json:"host"`
	Port      int    `json:"port"`
	Username  string `json:"username"`
	Password  string `json:"password"`
	DBName    string `json:"dbname"`
	MasterARN string `json:"masterarn,omitempty"`
}

// Addr is "host:port", what errors name.
func (s Secret) Addr() string { return s.Host + ":" + strconv.Itoa(s.Port) }

func invalid(cause error, format string, args ...any) error {
	return &secrets.Error{Name: secrets.ErrInvalidSecret.Name, Msg: fmt.Sprintf(format, args...), Err: cause}
}

// ParseSecret decodes and checks a database secret: a JSON object with
// engine "postgres" (missing engine is accepted, as AWS's templates do),
// host, username and password; port defaults to 5432 (a number or a
// numeric string) and dbname to "postgres". Errors are
// Secrets.InvalidSecret wrapping ErrNotJSON, ErrMissingField or
// ErrWrongEngine, and never quote the password.
func ParseSecret(b []byte) (Secret, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		return Secret{}, invalid(ErrNotJSON, "database secret must be a JSON object with engine, host, port, username, password, dbname")
	}
	str := func(key string) (string, error) {
		v, ok := raw[key]
		if !ok || string(v) == "null" {
			return "", nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", invalid(ErrNotJSON, "field %q must be a string", key)
		}
		return s, nil
	}
	var s Secret
	var err error
	for _, f := range []struct {
		key string
		dst *string
	}{{"engine", &s.Engine}, {"host", &s.Host}, {"username", &s.Username}, {"password", &s.Password}, {"dbname", &s.DBName}, {"masterarn", &s.MasterARN}} {
		if *f.dst, err = str(f.key); err != nil {
			return Secret{}, err
		}
	}
	if s.Engine != "" && s.Engine != Engine {
		return Secret{}, invalid(ErrWrongEngine, "engine is %q, want %q", s.Engine, Engine)
	}
	var missing []string
	for _, f := range []struct{ key, v string }{{"host", s.Host}, {"username", s.Username}, {"password", s.Password}} {
		if f.v == "" {
			missing = append(missing, f.key)
		}
	}
	if len(missing) > 0 {
		return Secret{}, invalid(ErrMissingField, "missing %s", strings.Join(missing, ", "))
	}
	s.Port = DefaultPort
	if p, ok := raw["port"]; ok && string(p) != "null" {
		var n json.Number
		var txt string
		if json.Unmarshal(p, &n) == nil {
			txt = n.String()
		} else if json.Unmarshal(p, &txt) != nil {
			return Secret{}, invalid(ErrNotJSON, "field \"port\" must be a number")
		}
		port, err := strconv.Atoi(txt)
		if err != nil || port < 1 || port > 65535 {
			return Secret{}, invalid(ErrNotJSON, "field \"port\" is %s, want 1..65535", txt)
		}
		s.Port = port
	}
	if s.DBName == "" {
		s.DBName = "postgres"
	}
	return s, nil
}

// withFields returns current (a JSON object) with fields set, every other
// field kept as it was.
func withFields(current []byte, fields map[string]string) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(current, &m); err != nil || m == nil {
		return nil, invalid(ErrNotJSON, "database secret must be a JSON object")
	}
	for k, v := range fields {
		m[k] = v
	}
	return json.Marshal(m)
}
