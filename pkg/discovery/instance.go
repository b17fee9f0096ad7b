package discovery

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults and bounds of a registration.
const (
	// DefaultTTL is an instance's lease when its registration names none:
	// a service heartbeats well within it (every 30 s is the usual third).
	DefaultTTL = 90 * time.Second
	// MinTTL and MaxTTL bound a lease.
	MinTTL = 5 * time.Second
	MaxTTL = 24 * time.Hour
	// DefaultWeight is an instance's weight when its registration names
	// none. Weight 0 keeps an instance registered but out of rotation
	// (draining).
	DefaultWeight = 1
	// MaxWeight bounds a weight.
	MaxWeight = 10000
	// MaxMetadata bounds the metadata entries of an instance.
	MaxMetadata = 32
)

// Error names: what an ASL Catch or an HTTP problem carries.
const (
	// ErrNameNotFound: no such instance (never registered, deregistered,
	// or its lease ran out).
	ErrNameNotFound = "Discovery.NotFound"
	// ErrNameNoInstance: a service has no instance that may take traffic.
	ErrNameNoInstance = "Discovery.NoInstance"
	// ErrNameConflict: a change kept losing the race for an instance's
	// record (retryable).
	ErrNameConflict = "Discovery.Conflict"
	// ErrNameCheckFailed: a health check run could not read or write the
	// registry (retryable).
	ErrNameCheckFailed = "Discovery.CheckFailed"
)

// Errors, matched with errors.Is.
var (
	ErrNotFound   = errors.New("discovery: no such instance")
	ErrNoInstance = errors.New("discovery: no instance may take traffic")
	ErrConflict   = errors.New("discovery: too many concurrent changes to one instance")
	ErrInvalid    = errors.New("discovery: invalid registration")
)

// FieldError is a bad value of one field; Validate joins one per problem.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *FieldError) Unwrap() []error { return []error{e.Err, ErrInvalid} }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// Health is what the health checker last concluded about an instance.
type Health string

// The health states.
const (
	// Unknown: not yet PassThreshold passes or FailThreshold failures in a
	// row since registration (or no health URL). Routable.
	Unknown   Health = "unknown"
	Healthy   Health = "healthy"
	Unhealthy Health = "unhealthy"
)

// maxSeconds bounds a duration given in seconds well inside time.Duration.
const maxSeconds = 1e9

// Duration is a time.Duration written in JSON as Go writes it ("1m30s");
// it reads that form or a number of seconds.
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		f, ferr := strconv.ParseFloat(string(b), 64)
		if ferr != nil || math.IsNaN(f) || math.Abs(f) > maxSeconds {
			return fmt.Errorf("%s is neither a duration such as \"90s\" nor a number of seconds", b)
		}
		*d = Duration(f * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as \"90s\"", s)
	}
	*d = Duration(v)
	return nil
}

// Registration is what a service says about one of its instances.
type Registration struct {
	Service string `json:"service"`
	ID      string `json:"id"`
	// URL is where callers reach the instance (absolute http or https).
	URL string `json:"url"`
	// Weight is the instance's share under weighted balancing, 0 to
	// MaxWeight; nil means DefaultWeight, 0 takes it out of rotation.
	Weight *int   `json:"weight,omitempty"`
	Zone   string `json:"zone,omitempty"`
	// Metadata is free key/value data (version, capabilities ...).
	Metadata map[string]string `json:"metadata,omitempty"`
	// HealthURL, when set, is probed by the health checker.
	HealthURL string `json:"healthUrl,omitempty"`
	// TTL is the lease; zero means DefaultTTL.
	TTL Duration `json:"ttl,omitempty"`
}

// Validate reports every problem, each a *FieldError naming its field.
func (r Registration) Validate() error {
	var errs []error
	errs = append(errs, validName("service", r.Service), validName("id", r.ID))
	if strings.TrimSpace(r.URL) == "" {
		errs = append(errs, fieldErr("url", "required"))
	} else {
		errs = append(errs, validURL("url", r.URL))
	}
	if r.HealthURL != "" {
		errs = append(errs, validURL("healthUrl", r.HealthURL))
	}
	if r.Weight != nil && (*r.Weight < 0 || *r.Weight > MaxWeight) {
		errs = append(errs, fieldErr("weight", "%d is outside 0..%d", *r.Weight, MaxWeight))
	}
	if len(r.Zone) > 64 {
		errs = append(errs, fieldErr("zone", "longer than 64 characters"))
	}
	if len(r.Metadata) > MaxMetadata {
		errs = append(errs, fieldErr("metadata", "%d entries, at most %d", len(r.Metadata), MaxMetadata))
	}
	for k, v := range r.Metadata {
		if k == "" || len(k) > 64 {
			errs = append(errs, fieldErr("metadata", "key %q must be 1 to 64 characters", k))
		}
		if len(v) > 512 {
			errs = append(errs, fieldErr("metadata", "value of %q longer than 512 characters", k))
		}
	}
	if ttl := time.Duration(r.TTL); ttl != 0 && (ttl < MinTTL || ttl > MaxTTL) {
		errs = append(errs, fieldErr("ttl", "%v is outside %v..%v", ttl, MinTTL, MaxTTL))
	}
	return errors.Join(errs...)
}

// ValidName reports whether s can name a service or an instance: 1 to 128
// letters, digits, '.', '_' or '-' (it is part of keys and URL paths).
func ValidName(field, s string) error { return validName(field, s) }

func validName(field, s string) error {
	if s == "" {
		return fieldErr(field, "required")
	}
	if len(s) > 128 {
		return fieldErr(field, "longer than 128 characters")
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fieldErr(field, "%q has %q; use letters, digits, '.', '_' and '-'", s, c)
		}
	}
	return nil
}

func validURL(field, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fieldErr(field, "%q is not an absolute http or https URL", s)
	}
	return nil
}

// Instance is a registered instance as the registry keeps it.
type Instance struct {
	Service   string            `json:"service"`
	ID        string            `json:"id"`
	URL       string            `json:"url"`
	Weight    int               `json:"weight"`
	Zone      string            `json:"zone,omitempty"`
	Metadata  map[string]string `json:"metadata,omitempty"`
	HealthURL string            `json:"healthUrl,omitempty"`
	TTL       Duration          `json:"ttl"`

	Health Health `json:"health"`
	// HealthSince is when Health last changed (registration for Unknown).
	HealthSince time.Time `json:"healthSince"`
	// Failures and Passes count the probe results in a row of each kind,
	// up to their threshold.
	Failures  int       `json:"consecutiveFailures"`
	Passes    int       `json:"consecutivePasses"`
	LastCheck time.Time `json:"lastCheck,omitzero"`
	LastError string    `json:"lastError,omitempty"`

	RegisteredAt time.Time `json:"registeredAt"`
	RenewedAt    time.Time `json:"renewedAt"`
	// ExpiresAt is the end of the lease.
	ExpiresAt time.Time `json:"expiresAt"`

	// Changes counts the health transitions since registration (the
	// sequence number of the last one); Pending are those not yet
	// announced on the bus.
	Changes int64          `json:"changes,omitempty"`
	Pending []HealthChange `json:"pending,omitempty"`

	// Version is the store item's version (not stored in the item).
	Version int64 `json:"version"`
	// Routable says whether the instance may take traffic when it was read
	// (not stored): see Instance.CanRoute.
	Routable bool `json:"routable"`
}

// CanRoute reports whether the instance may take traffic at now: its lease
// is live, its weight above zero and it is not unhealthy.
func (in *Instance) CanRoute(now time.Time) bool {
	return now.Before(in.ExpiresAt) && in.Weight > 0 && in.Health != Unhealthy
}

// HealthChange is one health transition of an instance.
type HealthChange struct {
	Service   string    `json:"service"`
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Zone      string    `json:"zone,omitempty"`
	From      Health    `json:"from"`
	To        Health    `json:"to"`
	Failures  int       `json:"consecutiveFailures"`
	Passes    int       `json:"consecutivePasses"`
	LastError string    `json:"lastError,omitempty"`
	At        time.Time `json:"at"`
	// Seq numbers the instance's transitions since its registration
	// (RegisteredAt), so Seq and RegisteredAt make the event's id.
	Seq          int64     `json:"seq"`
	RegisteredAt time.Time `json:"registeredAt"`
}

// EventID is the stable id of the change's catalog event: a redelivered
// announcement has the same id, for consumers to drop.
func (c HealthChange) EventID() string {
	return fmt.Sprintf("%s/%s/%d/health/%d", c.Service, c.ID, c.RegisteredAt.UnixNano(), c.Seq)
}

// Thresholds say after how many probe results in a row an instance
// changes state.
type Thresholds struct {
	// Fail: consecutive failures to become unhealthy; zero means 3.
	Fail int
	// Pass: consecutive passes to become healthy; zero means 2.
	Pass int
}

func (t Thresholds) withDefaults() Thresholds {
	if t.Fail == 0 {
		t.Fail = 3
	}
	if t.Pass == 0 {
		t.Pass = 2
	}
	return t
}

// Validate reports a negative threshold.
func (t Thresholds) Validate() error {
	var errs []error
	if t.Fail < 0 {
		errs = append(errs, fieldErr("failThreshold", "%d is negative", t.Fail))
	}
	if t.Pass < 0 {
		errs = append(errs, fieldErr("passThreshold", "%d is negative", t.Pass))
	}
	return errors.Join(errs...)
}

// Apply records one probe result at `at` (errText empty for a pass) and
// returns the transition it causes, if any, with Changes advanced; it does
// not touch Pending.
func (in *Instance) Apply(th Thresholds, at time.Time, errText string) *HealthChange {
	th = th.withDefaults()
	in.LastCheck = at
	in.LastError = errText
	to := in.Health
	// The counters stop at their threshold: past it, another result of
	// the same kind changes nothing, and the registry need not write it.
	if errText == "" {
		in.Passes = min(in.Passes+1, th.Pass)
		in.Failures = 0
		if in.Passes >= th.Pass {
			to = Healthy
		}
	} else {
		in.Failures = min(in.Failures+1, th.Fail)
		in.Passes = 0
		if in.Failures >= th.Fail {
			to = Unhealthy
		}
	}
	if to == in.Health {
		return nil
	}
	from := in.Health
	in.Health, in.HealthSince = to, at
	in.Changes++
	return &HealthChange{Service: in.Service, ID: in.ID, URL: in.URL, Zone: in.Zone, From: from, To: to,
		Failures: in.Failures, Passes: in.Passes, LastError: errText, At: at, Seq: in.Changes, RegisteredAt: in.RegisteredAt}
}
