package ratelimit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
)

// ConfigKind is the kind of the users' declarative files: config/ratelimits/*.yaml
// locally, <ssm path>/ratelimits/<file> in AWS.
const ConfigKind = "ratelimits"

// AllAPIs is the api of a class's default policy: it applies to every API
// the class has no policy of its own for.
const AllAPIs = "*"

// MaxRatePerSecond is the highest rate a policy may set.
const MaxRatePerSecond = 1e8

// maxBurstSpan bounds burst × interval, so GCRA's arithmetic never
// overflows a time.Duration.
const maxBurstSpan = 365 * 24 * time.Hour

// ErrInvalidPolicy is wrapped by every error Parse returns for a bad policy.
var ErrInvalidPolicy = errors.New("ratelimit: invalid policy")

// Rate is a steady request rate: Count requests per Per.
type Rate struct {
	Count float64
	Per   time.Duration // time.Second or time.Minute
}

// ParseRate reads "10/s", "600/min", "2.5/second", "100/minute" ("/sec",
// "/m" too). The count must be positive.
func ParseRate(s string) (Rate, error) {
	num, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, fmt.Errorf("%q: want COUNT/s or COUNT/min, like 10/s or 600/min", s)
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return Rate{}, fmt.Errorf("%q: the count %q is not a number", s, num)
	}
	if n <= 0 {
		return Rate{}, fmt.Errorf("%q: the count must be positive", s)
	}
	var per time.Duration
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "s", "sec", "second":
		per = time.Second
	case "m", "min", "minute":
		per = time.Minute
	default:
		return Rate{}, fmt.Errorf("%q: unknown unit %q (want s or min)", s, unit)
	}
	return Rate{Count: n, Per: per}, nil
}

// PerSecond is the rate in requests per second.
func (r Rate) PerSecond() float64 { return r.Count / r.Per.Seconds() }

// Interval is the time between two requests at the steady rate (GCRA's
// emission interval).
func (r Rate) Interval() time.Duration {
	return time.Duration(float64(r.Per) / r.Count)
}

// String is the rate as ParseRate reads it.
func (r Rate) String() string {
	unit := "s"
	if r.Per == time.Minute {
		unit = "min"
	}
	return strconv.FormatFloat(r.Count, 'f', -1, 64) + "/" + unit
}

// Policy limits one client class on one API (or on every API: AllAPIs).
type Policy struct {
	Class apiclient.Class
	API   string
	// Rate is the steady rate each client of the class may sustain.
	Rate Rate
	// Burst is how many requests a client may send at once after being
	// idle (GCRA's tolerance); at least 1.
	Burst int
	// Quota is how many requests a client may make per UTC day; 0 means
	// no daily quota.
	Quota int64
}

// Name is the policy's name in the RateLimit-Policy header: "class/api"
// ("anonymous/*" for a class default).
func (p Policy) Name() string { return string(p.Class) + "/" + p.API }

// Policies are the policies of every class and API. The zero value limits
// nothing. A Policies is immutable after Parse and safe for concurrent use.
type Policies struct {
	byKey map[policyKey]*Policy
	list  []Policy
}

type policyKey struct {
	class apiclient.Class
	api   string
}

// For returns the policy of class on api: the class's policy for api, else
// its default (AllAPIs), else none (the class is not limited on api).
func (ps *Policies) For(class apiclient.Class, api string) (*Policy, bool) {
	if ps == nil {
		return nil, false
	}
	if p, ok := ps.byKey[policyKey{class, api}]; ok {
		return p, true
	}
	p, ok := ps.byKey[policyKey{class, AllAPIs}]
	return p, ok
}

// List returns every policy, by class then API.
func (ps *Policies) List() []Policy {
	if ps == nil {
		return nil
	}
	return append([]Policy(nil), ps.list...)
}

// File is one declarative file, as the configuration source returns it.
type File struct {
	Name string // where it came from, for errors
	Data []byte
}

type fileDoc struct {
	Policies []policyDoc `yaml:"policies"`
}

type policyDoc struct {
	Class string `yaml:"class"`
	API   string `yaml:"api"`
	Rate  string `yaml:"rate"`
	Burst *int   `yaml:"burst"`
	Quota int64  `yaml:"quota"`
}

// Parse reads the policy files (config/ratelimits/*.yaml). Every problem
// is reported, each naming its file and field ("policies.yaml:
// policies[2].rate: ..."), joined in one error wrapping ErrInvalidPolicy:
// unknown fields, an unknown class, a missing, zero or negative rate,
// burst < 1, quota < 0, and two policies for one class and API (in one
// file or across files). No files is no policy.
func Parse(files ...File) (*Policies, error) {
	ps := &Policies{byKey: map[policyKey]*Policy{}}
	seen := map[policyKey]string{}
	var errs []error
	for _, f := range files {
		var doc fileDoc
		dec := yaml.NewDecoder(bytes.NewReader(f.Data))
		dec.KnownFields(true)
		if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
			errs = append(errs, fmt.Errorf("%w: %s: %v", ErrInvalidPolicy, f.Name, err))
			continue
		}
		for i, d := range doc.Policies {
			at := fmt.Sprintf("%s: policies[%d]", f.Name, i)
			p, perrs := d.policy(at)
			errs = append(errs, perrs...)
			if len(perrs) > 0 {
				continue
			}
			k := policyKey{p.Class, p.API}
			if prev, dup := seen[k]; dup {
				errs = append(errs, fmt.Errorf("%w: %s: class %s, api %q: already set at %s", ErrInvalidPolicy, at, p.Class, p.API, prev))
				continue
			}
			seen[k] = at
			ps.list = append(ps.list, p)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sort.Slice(ps.list, func(i, j int) bool {
		a, b := ps.list[i], ps.list[j]
		if a.Class != b.Class {
			return a.Class < b.Class
		}
		return a.API < b.API
	})
	for i := range ps.list {
		p := &ps.list[i]
		ps.byKey[policyKey{p.Class, p.API}] = p
	}
	return ps, nil
}

func (d policyDoc) policy(at string) (Policy, []error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s.%s: %s", ErrInvalidPolicy, at, field, fmt.Sprintf(format, args...)))
	}
	p := Policy{Class: apiclient.Class(d.Class), API: d.API, Quota: d.Quota}
	if !p.Class.Valid() {
		names := make([]string, len(apiclient.Classes))
		for i, c := range apiclient.Classes {
			names[i] = string(c)
		}
		bad("class", "unknown class %q (want one of %s)", d.Class, strings.Join(names, ", "))
	}
	if p.API == "" {
		bad("api", "missing: name an API of api/catalog.yaml, or %q for every API", AllAPIs)
	}
	if d.Rate == "" {
		bad("rate", "missing (like 10/s or 600/min)")
	} else if r, err := ParseRate(d.Rate); err != nil {
		bad("rate", "%v", err)
	} else {
		p.Rate = r
	}
	if p.Rate.Count > 0 && p.Rate.PerSecond() > MaxRatePerSecond {
		bad("rate", "%q: at most %g per second", d.Rate, float64(MaxRatePerSecond))
	}
	switch {
	case d.Burst == nil:
		bad("burst", "missing (at least 1)")
	case *d.Burst < 1:
		bad("burst", "%d: must be at least 1", *d.Burst)
	case p.Rate.Count > 0 && float64(*d.Burst)*float64(p.Rate.Interval()) > float64(maxBurstSpan):
		bad("burst", "%d at %s: the burst takes more than a year to refill", *d.Burst, d.Rate)
	default:
		p.Burst = *d.Burst
	}
	if d.Quota < 0 {
		bad("quota", "%d: must be 0 (no daily quota) or positive", d.Quota)
	}
	return p, errs
}
