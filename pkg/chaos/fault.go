package chaos

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Kind is what a fault does.
type Kind string

// The fault kinds.
const (
	KindError   Kind = "error"   // fail with a named error (ErrorName, default ErrInjected)
	KindLatency Kind = "latency" // wait Latency (or a random time up to LatencyMax) first
	KindTimeout Kind = "timeout" // hold the invocation until its deadline, then ErrTimeout
	KindStatus  Kind = "status"  // answer an HTTP Status (function URLs), a named error elsewhere
	KindDeny    Kind = "deny"    // outgoing calls to Hosts / Services fail (DenyMode)
	KindBreaker Kind = "breaker" // force the circuit breaker named Breaker open until expiry
	KindMemory  Kind = "memory"  // hold MemoryMB of memory during the invocation
	KindCPU     Kind = "cpu"     // keep a core busy for CPU before the invocation
)

// Kinds lists every kind, in the order documented.
var Kinds = []Kind{KindError, KindLatency, KindTimeout, KindStatus, KindDeny, KindBreaker, KindMemory, KindCPU}

// BlastRadius bounds how much of a function a fault reaches.
type BlastRadius string

// The blast radii. The empty value means BlastMinimal.
const (
	// BlastMinimal: one instance of the function (the first to claim the
	// fault through the Claimer; locally, the one process), at the rate.
	BlastMinimal BlastRadius = "minimal"
	// BlastLimited: every instance, at most LimitedCap of the invocations.
	BlastLimited BlastRadius = "limited"
	// BlastModerate: every instance, at most ModerateCap of the invocations.
	BlastModerate BlastRadius = "moderate"
	// BlastExtensive: every instance at the full rate; refused unless
	// ApprovedBy names who approved it.
	BlastExtensive BlastRadius = "extensive"
)

// The shares of invocations the capped blast radii reach at most: a
// fault's effective rate is min(Rate, cap).
const (
	LimitedCap  = 0.25
	ModerateCap = 0.5
)

// Cap is the highest share of invocations r lets a fault reach.
func (r BlastRadius) Cap() float64 {
	switch r {
	case BlastLimited:
		return LimitedCap
	case BlastModerate:
		return ModerateCap
	}
	return 1
}

// DenyMode is how a denied outgoing call fails.
type DenyMode string

// The deny modes. The empty value means DenyUnavailable.
const (
	// DenyUnavailable: the call is answered at once as unavailable (HTTP
	// 503, an AWS ServiceUnavailable error).
	DenyUnavailable DenyMode = "unavailable"
	// DenyPartition: the call fails as if the network dropped it (a
	// timeout net.Error), after the call's own deadline when it has one
	// shorter than PartitionHold.
	DenyPartition DenyMode = "partition"
)

// Match operators on an event field.
const (
	OpEquals = "equals"
	OpExists = "exists"
	OpPrefix = "prefix"
	OpRegex  = "regex"
)

// Matcher selects events by one field: "type", "source", "subject", "id",
// or "data.<path>" with dots between the keys of the JSON data (array
// elements by index: "data.items.0.sku").
type Matcher struct {
	Field string `json:"field"`
	Op    string `json:"op"`
	// Value is compared with the field's value as text (a JSON string's
	// content, other values as their JSON); unused by exists.
	Value string `json:"value,omitempty"`
}

// Fault is one configured fault: the JSON shape of a Document's faults, of
// the chaos-injector's requests, and of `cogniforge chaos list --json`.
type Fault struct {
	// ID names the fault; Manager.Inject assigns one when empty.
	ID string `json:"id"`
	// Function is the target function's name (required).
	Function string `json:"function"`
	Kind     Kind   `json:"fault"`
	// Rate is the share of matching invocations that get the fault, in
	// [0,1]; nil means 1.
	Rate *float64 `json:"rate,omitempty"`
	// Qualifier, when set, restricts the fault to the instances running
	// this alias or version of the function.
	Qualifier string `json:"qualifier,omitempty"`
	// EventTypes, when set, restricts it to events of these types.
	EventTypes []string `json:"eventTypes,omitempty"`
	// Match restricts it to events every matcher selects.
	Match []Matcher `json:"match,omitempty"`

	// Latency is the delay (KindLatency); with LatencyMax the delay is
	// uniform in [Latency, LatencyMax]. For KindTimeout it is how long to
	// hold an invocation that has no deadline (default DefaultHold).
	Latency    Duration `json:"latency,omitempty"`
	LatencyMax Duration `json:"latencyMax,omitempty"`
	// Status is the HTTP status answered (KindStatus), 400 to 599.
	Status int `json:"status,omitempty"`
	// ErrorName is the error's name (KindError; default ErrInjected), what
	// an ASL Catch or Retry matches; ErrorMessage its message.
	ErrorName    string `json:"errorName,omitempty"`
	ErrorMessage string `json:"errorMessage,omitempty"`
	// Retryable marks the injected error transient (HTTP 503 instead of 422).
	Retryable bool `json:"retryable,omitempty"`
	// Hosts and Services are what KindDeny denies: host names (a name also
	// covers its subdomains; a port is ignored) and AWS service ids as the
	// SDK names them ("DynamoDB", "EventBridge", "SSM"), case-insensitive.
	Hosts    []string `json:"hosts,omitempty"`
	Services []string `json:"services,omitempty"`
	DenyMode DenyMode `json:"denyMode,omitempty"`
	// Breaker names the circuit breaker KindBreaker forces open.
	Breaker string `json:"breaker,omitempty"`
	// MemoryMB is held during each invocation (KindMemory), at most
	// Limits.MaxMemoryMB.
	MemoryMB int `json:"memoryMB,omitempty"`
	// CPU is how long each invocation keeps a core busy first (KindCPU),
	// at most Limits.MaxCPU.
	CPU Duration `json:"cpu,omitempty"`

	BlastRadius BlastRadius `json:"blastRadius,omitempty"`
	// ApprovedBy names who approved an extensive blast radius.
	ApprovedBy string `json:"approvedBy,omitempty"`
	// DryRun logs what the fault would do and does nothing.
	DryRun bool `json:"dryRun,omitempty"`

	// For is how long the fault lasts, from now: a request field that
	// Manager.Inject turns into ExpiresAt (never stored).
	For Duration `json:"for,omitempty"`
	// ExpiresAt is when the fault turns itself off (mandatory once stored).
	ExpiresAt time.Time `json:"expiresAt"`
	CreatedAt time.Time `json:"createdAt,omitzero"`
	// CreatedBy and Experiment say who started it (a user, cli:<user>, an
	// experiment's name).
	CreatedBy  string `json:"createdBy,omitempty"`
	Experiment string `json:"experiment,omitempty"`
}

// EffectiveRate is the share of matching invocations the fault reaches:
// its rate (1 when unset) capped by its blast radius.
func (f Fault) EffectiveRate() float64 {
	r := 1.0
	if f.Rate != nil {
		r = *f.Rate
	}
	return min(r, f.BlastRadius.Cap())
}

// Active reports whether the fault has not expired at now.
func (f Fault) Active(now time.Time) bool { return now.Before(f.ExpiresAt) }

// Limits are the hard limits every fault is checked against. The zero
// value of a field means its default.
type Limits struct {
	// MaxDuration is how far ahead an expiry may be (default DefaultMaxDuration).
	MaxDuration time.Duration
	// MaxMemoryMB caps KindMemory (default DefaultMaxMemoryMB).
	MaxMemoryMB int
	// MaxCPU caps KindCPU per invocation (default DefaultMaxCPU).
	MaxCPU time.Duration
	// MaxLatency caps KindLatency (default DefaultMaxLatency).
	MaxLatency time.Duration
	// Functions, when set, are the only functions a fault may target.
	Functions []string
}

// The default limits.
const (
	DefaultMaxDuration = 24 * time.Hour
	DefaultMaxMemoryMB = 512
	DefaultMaxCPU      = 10 * time.Second
	DefaultMaxLatency  = 15 * time.Minute
	// DefaultHold is how long KindTimeout holds an invocation without a
	// deadline.
	DefaultHold = 30 * time.Second
)

func (l Limits) withDefaults() Limits {
	if l.MaxDuration <= 0 {
		l.MaxDuration = DefaultMaxDuration
	}
	if l.MaxMemoryMB <= 0 {
		l.MaxMemoryMB = DefaultMaxMemoryMB
	}
	if l.MaxCPU <= 0 {
		l.MaxCPU = DefaultMaxCPU
	}
	if l.MaxLatency <= 0 {
		l.MaxLatency = DefaultMaxLatency
	}
	return l
}

// ErrInvalidFault wraps every validation failure.
var ErrInvalidFault = errors.New("chaos: invalid fault")

// Validate checks f against limits at now and joins every problem, each
// naming its field. A fault with an expiry in the past is invalid too:
// Validate is for faults about to be stored or applied.
func (f Fault) Validate(limits Limits, now time.Time) error {
	limits = limits.withDefaults()
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalidFault, field, fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(f.Function) == "" {
		bad("function", "is required")
	} else if len(limits.Functions) > 0 && !contains(limits.Functions, f.Function) {
		bad("function", "no function %q (have %s)", f.Function, strings.Join(limits.Functions, ", "))
	}
	if f.Rate != nil && (*f.Rate < 0 || *f.Rate > 1 || *f.Rate != *f.Rate) {
		bad("rate", "%v is outside [0,1]", *f.Rate)
	}
	switch {
	case f.ExpiresAt.IsZero():
		bad("expiresAt", "is required: every fault expires (give a duration with --for)")
	case !f.ExpiresAt.After(now):
		bad("expiresAt", "%s is not in the future", f.ExpiresAt.Format(time.RFC3339))
	case f.ExpiresAt.Sub(now) > limits.MaxDuration:
		bad("expiresAt", "%s is more than the maximum duration %s ahead", f.ExpiresAt.Format(time.RFC3339), limits.MaxDuration)
	}
	switch f.BlastRadius {
	case "", BlastMinimal, BlastLimited, BlastModerate:
	case BlastExtensive:
		if strings.TrimSpace(f.ApprovedBy) == "" {
			bad("blastRadius", "extensive needs approvedBy naming who approved it")
		}
	default:
		bad("blastRadius", "%q is not minimal, limited, moderate or extensive", f.BlastRadius)
	}
	for i, m := range f.Match {
		if err := m.validate(); err != nil {
			bad(fmt.Sprintf("match[%d]", i), "%v", err)
		}
	}
	for i, t := range f.EventTypes {
		if strings.TrimSpace(t) == "" {
			bad(fmt.Sprintf("eventTypes[%d]", i), "is empty")
		}
	}
	if f.Latency < 0 || f.LatencyMax < 0 {
		bad("latency", "is negative")
	}
	switch f.Kind {
	case KindError:
		if f.ErrorName != "" && strings.ContainsAny(f.ErrorName, " \t\n") {
			bad("errorName", "%q has white space", f.ErrorName)
		}
	case KindLatency:
		switch {
		case f.Latency <= 0:
			bad("latency", "a latency fault needs a positive latency")
		case f.LatencyMax != 0 && f.LatencyMax < f.Latency:
			bad("latencyMax", "%s is less than latency %s", f.LatencyMax, f.Latency)
		case max(f.Latency, f.LatencyMax).D() > limits.MaxLatency:
			bad("latency", "more than the maximum %s", limits.MaxLatency)
		}
	case KindTimeout:
		if f.Latency.D() > limits.MaxLatency {
			bad("latency", "the hold is more than the maximum %s", limits.MaxLatency)
		}
	case KindStatus:
		if f.Status < 400 || f.Status > 599 {
			bad("status", "%d is not an HTTP error status (400-599)", f.Status)
		}
	case KindDeny:
		if len(f.Hosts) == 0 && len(f.Services) == 0 {
			bad("hosts", "a deny fault needs hosts or services")
		}
		for i, h := range f.Hosts {
			if strings.TrimSpace(h) == "" || strings.ContainsAny(h, "/ ") {
				bad(fmt.Sprintf("hosts[%d]", i), "%q is not a host name", h)
			}
		}
		for i, s := range f.Services {
			if strings.TrimSpace(s) == "" {
				bad(fmt.Sprintf("services[%d]", i), "is empty")
			}
		}
		switch f.DenyMode {
		case "", DenyUnavailable, DenyPartition:
		default:
			bad("denyMode", "%q is not unavailable or partition", f.DenyMode)
		}
	case KindBreaker:
		if strings.TrimSpace(f.Breaker) == "" {
			bad("breaker", "a breaker fault needs the breaker's name")
		}
	case KindMemory:
		if f.MemoryMB <= 0 || f.MemoryMB > limits.MaxMemoryMB {
			bad("memoryMB", "%d is not in 1..%d", f.MemoryMB, limits.MaxMemoryMB)
		}
	case KindCPU:
		if f.CPU <= 0 || f.CPU.D() > limits.MaxCPU {
			bad("cpu", "%s is not in (0, %s]", f.CPU, limits.MaxCPU)
		}
	case "":
		bad("fault", "is required (one of %s)", kindList())
	default:
		bad("fault", "%q is not one of %s", f.Kind, kindList())
	}
	return errors.Join(errs...)
}

func kindList() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (m Matcher) validate() error {
	if m.Field == "" {
		return errors.New("field is required")
	}
	if _, err := fieldPath(m.Field); err != nil {
		return err
	}
	switch m.Op {
	case OpEquals, OpPrefix, OpExists:
	case OpRegex:
		if _, err := regexp.Compile(m.Value); err != nil {
			return fmt.Errorf("value: %v", err)
		}
	default:
		return fmt.Errorf("op %q is not equals, exists, prefix or regex", m.Op)
	}
	return nil
}

// Duration is a time.Duration written in JSON as Go duration text ("250ms",
// "10m"); a JSON number is read as milliseconds.
type Duration time.Duration

// D is d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes the duration text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads duration text or milliseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	var ms float64
	if err := json.Unmarshal(b, &ms); err != nil {
		return fmt.Errorf("a duration is text like \"250ms\" or milliseconds: %s", b)
	}
	*d = Duration(ms * float64(time.Millisecond))
	return nil
}
